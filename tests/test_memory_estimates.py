"""Networks and batches too large for the memory are refused with an estimate (issue 26).

Before, ``model.hidden = [100000000]`` was ended by the kernel's out-of-memory
killer (exit 137, no word). The free memory is patched here, so the cases
mean the same on a laptop and on a large server.
"""

import numpy as np
import pytest

import mlpkit as mk
from mlpkit import _memory, preflight
from mlpkit.layers import stack as layer_stack


def test_free_memory_is_read_and_sizes_are_said_in_words():
    free = _memory.available_bytes()
    assert free is None or free > 0
    assert _memory.in_words(512) == "512 bytes"
    assert _memory.in_words(24_000) == "23.4 KiB"
    assert _memory.in_words(3 * 2**30) == "3.0 GiB"


def test_weights_beyond_the_free_memory_are_refused_before_allocating(monkeypatch):
    # layer 0 of [2, 1000, 2]: 3000 weights (12 kB) and its 2000-weight matrix drawn in
    # float64 (16 kB); layer 2: 2002 more (20 kB in all) and 16 kB drawn
    monkeypatch.setattr(layer_stack, "available_bytes", lambda: 40_000)
    mk.mlp([2, 1000, 2], seed=0)
    with pytest.raises(_memory.NotEnoughMemoryError) as caught:
        mk.mlp([2, 1000, 5], seed=0)  # layer 2: 5005 weights (20 kB), 40 kB drawn
    message = str(caught.value)
    assert message.startswith(
        "layer 2 (Dense) would hold 19.6 KiB of weights besides the 11.7 KiB of the layers"
    )
    assert "(and 39.1 KiB while they are drawn)" in message
    assert "more than the 39.1 KiB of memory free" in message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, MemoryError)


def test_batches_beyond_the_free_memory_are_refused_before_training(monkeypatch):
    network = mk.mlp([2, 1000, 2], seed=0)
    X, y = np.zeros((64, 2)), np.arange(64) % 2
    weights = network.get_weights()
    # weights 5002 x 4 bytes x (1 + gradient + velocity) = 60 kB; a batch of 64 holds
    # 64 x 1004 values x 4 bytes x 3 copies = 771 kB
    monkeypatch.setattr(preflight, "available_bytes", lambda: 500_000)
    with pytest.raises(_memory.NotEnoughMemoryError, match="for batches of 64 samples") as caught:
        network.fit(X, y, epochs=1, optimizer=mk.SGD(0.1, momentum=0.9))
    assert "58.6 KiB for the weights, their gradients and SGD's state" in str(caught.value)
    for key, value in network.get_weights().items():
        np.testing.assert_array_equal(value, weights[key])  # nothing trained
    network.fit(X, y, epochs=1, batch_size=16, optimizer=mk.SGD(0.1, momentum=0.9))


def test_the_command_line_says_it_in_one_line_and_leaves_no_folder(monkeypatch, tmp_path, capsys):
    from helpers import one_line_error

    monkeypatch.setattr(layer_stack, "available_bytes", lambda: 2**20)
    out = tmp_path / "run"
    message = one_line_error(
        ["run", "moons-mlp", "--set", "model.hidden=[100000]", "--out", str(out), "--quiet"], capsys
    )
    assert "layer 0 (Dense) would hold 1.1 MiB of weights (and 1.5 MiB while" in message
    assert not out.exists()
