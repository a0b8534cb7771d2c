"""The ``Network``: a sequence of layers over samples of a known shape.

Forward runs the layers in order; backward runs them in reverse, each layer
turning ``dL/d(output)`` into ``dL/d(input)`` and filling its own ``grads``.
When the loss is fused with the output activation (softmax + cross-entropy,
sigmoid + binary cross-entropy), the loss is computed on the logits and
backward starts below the output activation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mlpkit import losses, summary, training
from mlpkit._validation import as_float_dtype, as_rng, check_array
from mlpkit.layers import Layer, activations
from mlpkit.layers.base import size_of
from mlpkit.layers.stack import (
    build_layers,
    check_weights,
    input_shape_of,
    plan_inplace,
    values_per_sample,
)
from mlpkit.metrics import r2
from mlpkit.targets import TARGET_VALUES, encode_targets, labels_of, task_for

if TYPE_CHECKING:
    from mlpkit.datasets.preprocessing import Preprocessor

__all__ = ["Network"]

# Output activations whose values are probabilities (what predict_proba needs).
_PROBABILITY_OUTPUTS = (activations.Softmax, activations.Sigmoid)
# Inference runs in chunks of rows whose arrays (every layer's output and work space)
# hold at most this many values: 2**24 floats are 64 MB in float32. Never more than
# 8192 rows, which is what MLPs always used.
INFERENCE_BUDGET = 2**24
_MAX_CHUNK = 8192


class Network:
    """A feed-forward network: layers applied in sequence.

    Parameters
    ----------
    layers : sequence of Layer
        The layers, input first. Each is built here for the shape the layer
        below hands it (a ``Dense`` learns its input size).
    input_shape : int or tuple of int
        The shape of one sample: ``(n_features,)`` for a table,
        ``(height, width, channels)`` for images (channels last). Flat rows of
        the right size are reshaped to it. Optional when the layers are built.
    seed : int or Generator, optional
        Draws the initial weights, layer by layer.
    dtype : {'float32', 'float64'}
        The dtype of every parameter and of the computation.
    task : {'classification', 'regression'}, optional
        What ``predict`` returns: class labels or values. By default a network
        whose output activation is linear or ReLU is a regressor and any other
        (softmax, sigmoid, tanh) a classifier.
    targets : {'one_hot', 'signed'}
        How a classifier encodes class labels as targets: one-hot rows of 0
        and 1, or 'signed' rows of -1 and +1 (the range of a tanh output).

    Examples
    --------
    >>> import mlpkit as mk
    >>> net = Network([mk.Flatten(), mk.Dense(16), mk.ReLU(), mk.Dense(10), mk.Softmax()],
    ...               input_shape=(8, 8, 1), seed=0)
    >>> net.output_shape, net.n_parameters
    ((10,), 1210)
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        input_shape: int | Sequence[int] | None = None,
        *,
        seed: int | np.random.Generator | None = None,
        dtype: str | type[np.floating] = "float32",
        task: str | None = None,
        targets: str = "one_hot",
    ) -> None:
        layers = list(layers)
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("layers must be a non-empty sequence of Layer objects")
        self.layers = layers
        self.dtype = as_float_dtype(dtype)
        self.input_shape = input_shape_of(layers, input_shape)
        #: Each layer's per-sample output shape, in order.
        self.shapes = build_layers(layers, self.input_shape, as_rng(seed), self.dtype)
        self.output_shape = self.shapes[-1]
        if len(self.output_shape) != 1:
            raise ValueError(
                f"the network's samples come out with shape {self.output_shape}; outputs must "
                "be flat (k,): end with Flatten() and a Dense layer"
            )
        self.n_inputs, self.n_outputs = size_of(self.input_shape), self.output_shape[0]
        plan_inplace(layers)
        per_sample = values_per_sample(layers, self.input_shape, self.shapes)
        #: Rows per forward pass at inference (``predict``, ``evaluate``): bounded memory.
        self.chunk_rows = max(1, min(_MAX_CHUNK, INFERENCE_BUDGET // per_sample))
        # Below the lowest layer with params no gradient is needed (see _backward).
        self._lowest_trainable = next((i for i, lay in enumerate(layers) if lay.params), 0)
        self.task = task_for(layers[-1], self.n_outputs, task)
        if targets not in TARGET_VALUES:
            raise ValueError(f"targets must be 'one_hot' or 'signed', got {targets!r}")
        self.targets = targets
        #: The loss of the last ``fit``; ``evaluate`` uses it by default.
        self.loss: losses.Loss | None = None
        #: Class names, index = label (saved with the model; optional).
        self.classes: list[str] | None = None
        #: A fitted ``datasets.Preprocessor`` for raw inputs (saved with the model; optional):
        #: the network's methods never apply it, call ``preprocessor.transform(X)`` first.
        self.preprocessor: Preprocessor | None = None

    def check_inputs(self, X: npt.ArrayLike, name: str = "X") -> np.ndarray:
        """``X`` as a finite array of shape (n, *input_shape) in the network's dtype.

        Flat rows of ``prod(input_shape)`` values are reshaped; any other shape
        is a ``ValueError`` naming both shapes.
        """
        return check_array(X, name, sample_shape=self.input_shape, dtype=self.dtype)

    def check_targets(
        self, y: npt.ArrayLike, *, n_samples: int, name: str = "y"
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Validate ``y`` for this network; return ``(T, labels)``.

        Integer labels of shape (n,) are encoded as ``targets`` says; see
        :func:`mlpkit.targets.encode_targets`. ``T`` has shape (n, n_outputs);
        ``labels`` (n,) are the classes, None for a regressor.
        """
        return encode_targets(
            y,
            n_outputs=self.n_outputs,
            classify=self.task == "classification",
            encoding=self.targets,
            dtype=self.dtype,
            n_samples=n_samples,
            name=name,
        )

    # -- the two passes ----------------------------------------------------------
    def forward(self, X: npt.ArrayLike, *, training: bool = False) -> np.ndarray:
        """Return the outputs, shape (n, n_outputs), for inputs ``X`` of shape (n, *input_shape)."""
        return self._forward(self.check_inputs(X), self.layers, training)

    @staticmethod
    def _forward(X: np.ndarray, layers: Sequence[Layer], training: bool) -> np.ndarray:
        for layer in layers:
            X = layer.forward(X, training=training)
        return X

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Backpropagate ``dY = dL/d(outputs)`` of shape (n, n_outputs); return ``dL/dX``.

        Call after ``forward(X, training=True)``; ``dL/dX`` has the shape of ``X``.
        """
        dX = self._backward(np.asarray(dY, dtype=self.dtype), self.layers, need_input_grad=True)
        assert dX is not None
        return dX

    def _backward(
        self, dY: np.ndarray, layers: Sequence[Layer], need_input_grad: bool
    ) -> np.ndarray | None:
        """Run ``layers`` backward from ``dY``; return ``dL/dX`` if ``need_input_grad``.

        Without it, the pass stops at the lowest layer with params, which is
        told that nobody needs its input gradient.
        """
        lowest = 0 if need_input_grad else self._lowest_trainable
        grad: np.ndarray | None = dY
        for i in range(len(layers) - 1, lowest - 1, -1):
            assert grad is not None  # only the lowest layer is told to return None
            grad = layers[i].backward(grad, need_input_grad=need_input_grad or i > lowest)
        return grad if need_input_grad else None

    def is_fused(self, loss: losses.Loss) -> bool:
        """Whether ``loss`` is computed on the logits below the output activation."""
        return loss.fused_with is not None and type(self.layers[-1]) is loss.fused_with

    def forward_loss(
        self,
        X: np.ndarray,
        T: np.ndarray,
        loss: losses.Loss,
        *,
        training: bool = False,
        weights: np.ndarray | None = None,
    ) -> tuple[float, np.ndarray]:
        """One forward pass with its loss: ``(loss, outputs)``, outputs of shape (n, n_outputs).

        ``X`` (n, *input_shape) and ``T`` (n, n_outputs) as ``loss_and_gradients``
        takes them. A loss fused with the output activation takes the logits
        below it and computes the outputs itself.
        """
        if self.is_fused(loss):
            logits = self._forward(X, self.layers[:-1], training)
            value = loss.forward_logits(logits, T, weights)
            assert loss.outputs is not None
            return value, loss.outputs  # the output activation, computed by the loss
        outputs = self._forward(X, self.layers, training)
        return loss.forward(outputs, T, weights), outputs

    def loss_and_gradients(
        self,
        X: np.ndarray,
        T: np.ndarray,
        loss: losses.Loss,
        *,
        training: bool = True,
        weights: np.ndarray | None = None,
    ) -> tuple[float, np.ndarray]:
        """One forward and backward pass over a batch; fill every layer's ``grads``.

        The data loss alone: L2 weight decay is added by
        :func:`mlpkit.objective.add_l2` (an :class:`~mlpkit.objective.Objective`
        does both).

        Parameters
        ----------
        X : ndarray of shape (n, *input_shape)
            Inputs, already validated and of the network's dtype.
        T : ndarray of shape (n, n_outputs)
            Encoded targets (one-hot rows for classes).
        loss : Loss
            The data loss.
        training : bool
            Run the layers in training mode (dropout drops, BatchNorm uses
            the batch's statistics).
        weights : ndarray of shape (n,), optional
            Sample weights of the data loss (see :mod:`mlpkit.losses`).

        Returns
        -------
        loss : float
        outputs : ndarray of shape (n, n_outputs)
            The network's outputs for ``X``.
        """
        value, outputs = self.forward_loss(X, T, loss, training=training, weights=weights)
        layers = self.layers[:-1] if self.is_fused(loss) else self.layers
        self._backward(loss.backward(), layers, need_input_grad=False)
        return value, outputs

    # -- parameters --------------------------------------------------------------
    def parameters(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Yield ``(key, param, grad)`` for every trainable parameter; keys like ``"0.W"``."""
        for index, layer in enumerate(self.layers):
            for name, param in layer.params.items():
                yield f"{index}.{name}", param, layer.grads[name]

    def buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(key, buffer)`` for the non-trainable state; keys like ``"2.moving_mean"``."""
        for index, layer in enumerate(self.layers):
            for name, buffer in layer.buffers.items():
                yield f"{index}.{name}", buffer

    def _weight_arrays(self) -> dict[str, np.ndarray]:
        """Every parameter and buffer by key (the arrays themselves, not copies)."""
        return {**{key: param for key, param, _ in self.parameters()}, **dict(self.buffers())}

    def get_weights(self) -> dict[str, np.ndarray]:
        """A copy of every parameter and buffer, by key: what a saved model holds."""
        return {key: array.copy() for key, array in self._weight_arrays().items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy ``weights`` (as from ``get_weights``) into the parameters and buffers in place."""
        own = self._weight_arrays()
        check_weights(self.layers, own, weights)  # all of them, before any is copied
        for key, param in own.items():
            np.copyto(param, np.asarray(weights[key]))

    @property
    def n_parameters(self) -> int:
        """The number of trainable scalars."""
        return sum(param.size for _, param, _ in self.parameters())

    # -- using a trained network ---------------------------------------------------
    def _outputs(self, X: npt.ArrayLike) -> np.ndarray:
        X = self.check_inputs(X)
        chunks = [
            self._forward(X[i : i + self.chunk_rows], self.layers, False)
            for i in range(0, len(X), self.chunk_rows)
        ]
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    def labels_of(self, outputs: np.ndarray) -> np.ndarray:
        """The classes that ``outputs`` (n, n_outputs) stand for: argmax, or a threshold."""
        return labels_of(outputs, self.targets)

    def predict(self, X: npt.ArrayLike) -> np.ndarray:
        """Class labels, shape (n,), for a classifier; values for a regressor.

        A regressor returns shape (n,) with one output and (n, n_outputs) otherwise.
        """
        outputs = self._outputs(X)
        if self.task == "classification":
            return self.labels_of(outputs)
        return outputs[:, 0] if self.n_outputs == 1 else outputs

    def predict_proba(self, X: npt.ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n, n_classes).

        A softmax output gives one distribution per row; sigmoid outputs give
        an independent probability per class (multi-label), and a single
        sigmoid output gives two columns ``[1 - p, p]``.
        """
        if not isinstance(self.layers[-1], _PROBABILITY_OUTPUTS):
            raise TypeError(
                "predict_proba needs a softmax or sigmoid output layer; this network "
                f"ends in {type(self.layers[-1]).__name__}. Use predict() for labels "
                "or forward() for the raw outputs"
            )
        P = self._outputs(X)
        return np.hstack([1 - P, P]) if self.n_outputs == 1 else P

    def evaluate(
        self, X: npt.ArrayLike, y: npt.ArrayLike, loss: str | losses.Loss | None = None
    ) -> dict[str, float]:
        """Loss (without any L2 penalty) and accuracy (classifier) or R² (regressor) on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n, *input_shape)
        y : array-like of shape (n,) or (n, n_outputs)
            Class labels, one-hot or real targets.
        loss : str or Loss, optional
            Defaults to the loss of the last ``fit``, else the default loss for
            this network's output (see ``default_loss``).
        """
        X = self.check_inputs(X)
        T, labels = self.check_targets(y, n_samples=len(X))
        loss = self.resolve_loss(loss if loss is not None else self.loss)
        total, outputs = 0.0, []
        for i in range(0, len(X), self.chunk_rows):
            Xb, Tb = X[i : i + self.chunk_rows], T[i : i + self.chunk_rows]
            value, batch_outputs = self.forward_loss(Xb, Tb, loss)
            outputs.append(batch_outputs)
            total += value * loss.divisor(Tb.shape)
        result = {"loss": total / loss.divisor(T.shape)}
        if labels is not None:
            predicted = self.labels_of(np.concatenate(outputs))
            result["accuracy"] = float(np.mean(predicted == labels))
        else:  # regression
            result["r2"] = r2(T, np.concatenate(outputs))
        return result

    def default_loss(self) -> losses.Loss:
        """Cross-entropy after softmax, binary cross-entropy after sigmoid, else MSE."""
        return losses.default_for(self.layers[-1])

    def resolve_loss(self, loss: str | losses.Loss | None) -> losses.Loss:
        """Turn ``loss`` into a Loss (by default ``default_loss()``) that suits the output layer."""
        loss = self.default_loss() if loss is None else losses.get(loss)
        losses.check_output(loss, self.layers[-1], self.targets)
        return loss

    #: Train by backpropagation: :func:`mlpkit.training.fit`, with this network as
    #: ``network`` (``net.fit(X, y, epochs=10, batch_size=32)``).
    fit = training.fit

    # -- description ---------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The architecture as JSON-ready data; ``builders.network_from_config`` rebuilds it."""
        return {
            "input_shape": list(self.input_shape),
            "dtype": np.dtype(self.dtype).name,
            "task": self.task,
            "targets": self.targets,
            "layers": [{"type": layer.name, **layer.get_config()} for layer in self.layers],
        }

    def summary(self) -> str:
        """A table of the layers with their output shapes and parameter counts, as Keras prints.

        ``None`` stands for the batch axis. Non-trainable parameters are the
        buffers (a BatchNorm's moving statistics).
        """
        return summary.as_text(self)

    def _repr_html_(self) -> str:
        """The summary as an HTML table: what Jupyter shows for a network."""
        return summary.as_html(self)

    def __repr__(self) -> str:
        return (
            f"Network({self.layers!r}, input_shape={self.input_shape!r}, task={self.task!r}, "
            f"targets={self.targets!r})"
        )
