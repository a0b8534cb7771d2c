"""Export to ONNX: a trained model that runs where mlpkit is not installed.

``export_onnx(model, path)`` writes a ``Network``, a fitted ``mlpkit.sklearn``
estimator, or the model of a run folder as one ONNX graph of standard
operators, written with the ``onnx`` package's helpers (``pip install
mlpkit[onnx]``). onnxruntime runs it in Python, C++, C#, Java or a browser.
The graph takes raw float32 rows, as ``mlpkit predict`` does, and gives
``label`` and ``probabilities`` (``prediction`` for a regressor); see
``mlpkit.export.model`` for the details and ``register`` for a user's layer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlpkit.export.graph import Graph, Value
from mlpkit.export.layers import MAPPINGS, register
from mlpkit.export.model import ExportError, build_graph, spec_of

__all__ = ["DEFAULT_OPSET", "MAPPINGS", "ExportError", "Graph", "Value", "export_onnx", "register"]

DEFAULT_OPSET = 17
"""The operator set written by default: onnxruntime 1.13 and later, and onnxruntime-web, run it."""

_LOWEST_OPSET = 13  # Softmax over one axis, and Reshape, as the mappings use them


def export_onnx(model: Any, path: str | os.PathLike[str], *, opset: int | None = None) -> Path:
    """Write ``model`` as an ONNX file at ``path``.

    Parameters
    ----------
    model : Network, fitted mlpkit.sklearn estimator, or path
        A path is a run folder (its ``model.npz``, and its recipe's name in the
        metadata) or a saved model file.
    path : str or PathLike
        The ``.onnx`` file written (replaced whole, never half-written).
    opset : int, optional
        The ONNX operator set; ``DEFAULT_OPSET`` by default.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ExportError
        A layer without a mapping (named, with how to register one), or a model
        that is not a Network or a fitted estimator.
    """
    try:
        import onnx
        from onnx import helper
    except ImportError as error:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "export_onnx needs the onnx package: pip install 'mlpkit[onnx]'"
        ) from error
    from mlpkit._version import __version__
    from mlpkit.io import atomic_write

    opset = _checked_opset(opset, onnx.defs.onnx_opset_version())
    recipe = None
    if isinstance(model, str | os.PathLike):
        model, recipe = _load(Path(model))
    spec = spec_of(model)
    if recipe:
        spec.metadata["recipe"] = recipe
    graph = Graph(opset)
    inputs, outputs = build_graph(spec, graph)
    proto = helper.make_model(
        helper.make_graph(graph.nodes, "mlpkit", inputs, outputs, graph.initializers),
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="mlpkit",
        producer_version=__version__,
        doc_string="exported by mlpkit.export_onnx",
    )
    proto.ir_version = min(proto.ir_version, _IR_OF_OPSET.get(opset, proto.ir_version))
    helper.set_model_props(proto, spec.metadata)
    onnx.checker.check_model(proto, full_check=True)
    target = Path(path)
    atomic_write(target, lambda file: file.write(proto.SerializeToString()))
    return target


# The IR version each opset came with: a runtime refuses a file of a newer IR than it
# knows, so a file is stamped with the oldest IR its opset allows.
_IR_OF_OPSET = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}


def _checked_opset(opset: int | None, newest: int) -> int:
    if opset is None:
        return DEFAULT_OPSET
    if (
        isinstance(opset, bool)
        or not isinstance(opset, int)
        or not _LOWEST_OPSET <= opset <= newest
    ):
        raise ValueError(
            f"opset must be an int from {_LOWEST_OPSET} to {newest} (this onnx package's newest), "
            f"got {opset!r}"
        )
    return opset


def _load(path: Path) -> tuple[Any, str | None]:
    """The network saved at ``path`` (a run folder or a model file) and its recipe's name."""
    from mlpkit.io import load

    if not path.is_dir():
        return load(path), None
    if not (path / "model.npz").is_file():
        raise ValueError(
            f"{path} is a folder without a model.npz: give a model file, or a finished run's folder"
        )
    recipe = None
    if (path / "config.toml").is_file():
        from mlpkit.recipes import load_recipe

        recipe = str(load_recipe(path / "config.toml").get("name") or "") or None
    return load(path / "model.npz"), recipe
