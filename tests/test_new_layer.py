"""The new-layer page (docs/guide/new-layer.md): its layer is complete in at most 30
lines and at most six names of the contract, trains, and agrees with PyTorch.

The code is read from the page itself, so the page cannot drift from what runs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

import mlpkit as mk

PAGE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "new-layer.md"
#: The names the page's table says an author writes.
CONTRACT = {"name", "forward", "backward", "weight_shapes", "get_config", "output_shape"}


def _page_code() -> str:
    text = PAGE.read_text()
    found = re.search(r"<!-- mlpkit:new-layer -->\s*```python\n(.*?)```", text, re.S)
    assert found, "the page has no marked example"
    return found.group(1)


def _example_layer() -> type[mk.Layer]:
    # The module name test_docs.py runs the guide's pages under: the registry takes a
    # class again under the same full name, and refuses a second class for one name.
    namespace: dict = {"__name__": "docs_example"}
    exec(compile(_page_code(), str(PAGE), "exec"), namespace)
    return namespace["PReLU"]


def test_the_example_is_at_most_30_lines_and_uses_only_the_contract():
    code = _page_code()
    assert len(code.strip().splitlines()) <= 30
    (layer,) = [n for n in ast.parse(code).body if isinstance(n, ast.ClassDef)]
    defined = {
        target.id if isinstance(node, ast.Assign) else node.name
        for node in layer.body
        if isinstance(node, ast.FunctionDef | ast.Assign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node])
    }
    assert defined <= CONTRACT and len(CONTRACT) <= 6


def test_the_page_lists_the_contract_names():
    table = PAGE.read_text().split("## An example")[0]
    listed = set(re.findall(r"^\| `(\w+)", table, re.M))
    assert listed == CONTRACT


def test_the_example_layer_trains_on_moons_and_its_gradients_check():
    PReLU = _example_layer()
    X, y = mk.datasets.make_moons(400, noise=0.2, seed=0)
    net = mk.Network([mk.Dense(16), PReLU(), mk.Dense(2), mk.Softmax()], input_shape=(2,), seed=0)
    before = net.evaluate(X, y)["accuracy"]
    net.fit(X, y, optimizer=mk.Adam(0.01), epochs=100, batch_size=32, seed=0)
    assert net.evaluate(X, y)["accuracy"] > max(0.93, before)
    assert net.layers[1].params["a"].any(), "the slopes never moved from zero"
    small = mk.Network(
        [mk.Dense(5), PReLU(), mk.Dense(2), mk.Softmax()],
        input_shape=(2,),
        seed=1,
        dtype="float64",
    )
    small.layers[1].params["a"][...] = [0.3, -0.2, 0.1, 0.5, 0.0]  # slopes off zero
    errors = mk.gradcheck(small, X[:20], y[:20])
    assert max(errors.values()) < 1e-6


def test_the_example_layer_rebuilds_from_its_config_and_saves(tmp_path):
    PReLU = _example_layer()
    net = mk.Network([mk.Dense(3), PReLU(), mk.Dense(2), mk.Softmax()], input_shape=(2,), seed=0)
    net.layers[1].params["a"][...] = [0.1, 0.2, 0.3]
    mk.save(net, tmp_path / "prelu.npz")
    loaded = mk.load(tmp_path / "prelu.npz")
    X = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
    np.testing.assert_array_equal(loaded.forward(X), net.forward(X))


def test_the_example_layer_matches_torch_prelu():
    torch = pytest.importorskip("torch")
    PReLU = _example_layer()
    rng = np.random.default_rng(0)
    X, dY = rng.normal(size=(2, 6, 4))
    slopes = rng.normal(size=4)
    layer = PReLU()
    layer.build((4,), rng, np.float64)
    layer.params["a"][...] = slopes
    Y = layer.forward(X, training=True)
    dX = layer.backward(dY)
    oracle = torch.nn.PReLU(num_parameters=4).double()
    with torch.no_grad():
        oracle.weight.copy_(torch.from_numpy(slopes))
    inputs = torch.from_numpy(X).requires_grad_()
    outputs = oracle(inputs)
    outputs.backward(torch.from_numpy(dY))
    np.testing.assert_allclose(Y, outputs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dX, inputs.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.grads["a"], oracle.weight.grad.numpy(), rtol=1e-12)
