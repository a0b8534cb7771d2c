"""The ``Network``: a sequence of layers, and the ``mlp`` builder.

Forward runs the layers in order; backward runs them in reverse, each layer
turning ``dL/d(output)`` into ``dL/d(input)`` and filling its own ``grads``.
When the loss is fused with the output activation (softmax + cross-entropy,
sigmoid + binary cross-entropy), the loss is computed on the logits and
backward starts below the output activation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from mlpkit import activations, initializers, losses, training
from mlpkit._validation import as_float_dtype, as_rng, check_array, check_int, check_targets
from mlpkit.layers import Dense, Dropout, Layer
from mlpkit.metrics import predicted_labels, r2

TASKS = ("classification", "regression")
#: The target values (for the wrong classes, for the right class) of each encoding.
TARGET_VALUES = {"one_hot": (0.0, 1.0), "signed": (-1.0, 1.0)}
# Output activations whose range suits regression rather than class scores.
_REGRESSION_OUTPUTS = (activations.Linear, activations.ReLU, activations.LeakyReLU)
_PROBABILITY_OUTPUTS = (activations.Softmax, activations.Sigmoid)
_PREDICT_BATCH = 8192  # rows per forward pass at inference: bounds memory


class Network:
    """A feed-forward network: layers applied in sequence.

    Parameters
    ----------
    layers : sequence of Layer
        The layers, input first. The first must be a ``Dense`` layer so that
        the number of input features is known.
    task : {'classification', 'regression'}, optional
        What ``predict`` returns: class labels or values. By default a network
        whose output activation is linear or ReLU is a regressor and any other
        (softmax, sigmoid, tanh) a classifier.
    targets : {'one_hot', 'signed'}
        How a classifier encodes class labels as targets: one-hot rows of 0
        and 1, or 'signed' rows of -1 and +1 (the range of a tanh output).
    """

    def __init__(
        self, layers: Sequence[Layer], task: str | None = None, targets: str = "one_hot"
    ) -> None:
        layers = list(layers)
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("layers must be a non-empty sequence of Layer objects")
        if not isinstance(layers[0], Dense):
            raise TypeError(f"the first layer must be Dense, got {type(layers[0]).__name__}")
        self.layers = layers
        for before, layer in itertools.pairwise(layers[:-1]):
            if isinstance(layer, activations.Activation):
                # A hidden activation after a Dense layer gets fresh arrays both ways:
                # the Dense output forward, the next layer's dX backward.
                layer.inplace = isinstance(before, Dense)
        self.n_inputs = layers[0].n_in
        size = self.n_inputs
        for layer in layers:
            size = layer.output_size(size)
        self.n_outputs = size
        dtypes = {p.dtype for _, p, _ in self.parameters()}
        if len(dtypes) != 1:
            raise ValueError(f"all parameters must share one dtype, got {sorted(map(str, dtypes))}")
        self.dtype = as_float_dtype(dtypes.pop())
        if task is None:
            task = "regression" if isinstance(layers[-1], _REGRESSION_OUTPUTS) else "classification"
        if task not in TASKS:
            raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
        if isinstance(layers[-1], activations.Softmax) and self.n_outputs == 1:
            raise ValueError(
                "a softmax over 1 output is always 1; use output='sigmoid' for a binary "
                "classifier with one output, or 2 outputs with softmax"
            )
        self.task = task
        if targets not in TARGET_VALUES:
            raise ValueError(f"targets must be 'one_hot' or 'signed', got {targets!r}")
        self.targets = targets
        #: The loss of the last ``fit``; ``evaluate`` uses it by default.
        self.loss: losses.Loss | None = None
        #: Class names, index = label (saved with the model; optional).
        self.classes: list[str] | None = None
        #: A fitted ``datasets.Preprocessor`` for raw inputs (saved with the model;
        #: optional). The network's own methods never apply it: call
        #: ``network.preprocessor.transform(X)`` first.
        self.preprocessor: Any = None

    # -- the two passes ----------------------------------------------------------
    def forward(self, X: Any, *, training: bool = False) -> np.ndarray:
        """Return the outputs, shape (n, n_outputs), for inputs ``X`` of shape (n, n_inputs)."""
        X = check_array(X, "X", n_features=self.n_inputs, dtype=self.dtype)
        return self._forward(X, self.layers, training)

    @staticmethod
    def _forward(X: np.ndarray, layers: Sequence[Layer], training: bool) -> np.ndarray:
        for layer in layers:
            X = layer.forward(X, training=training)
        return X

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Backpropagate ``dY = dL/d(outputs)`` of shape (n, n_outputs); return ``dL/dX``."""
        return self._backward(np.asarray(dY, dtype=self.dtype), self.layers, need_input_grad=True)

    @staticmethod
    def _backward(dY: np.ndarray, layers: Sequence[Layer], need_input_grad: bool) -> np.ndarray:
        for i in range(len(layers) - 1, 0, -1):
            dY = layers[i].backward(dY)
        first = layers[0]
        if isinstance(first, Dense):
            return first.backward(dY, need_input_grad=need_input_grad)
        return first.backward(dY)

    def is_fused(self, loss: losses.Loss) -> bool:
        """Whether ``loss`` is computed on the logits below the output activation."""
        return loss.fused_with is not None and type(self.layers[-1]) is loss.fused_with

    def loss_and_gradients(
        self,
        X: np.ndarray,
        T: np.ndarray,
        loss: losses.Loss,
        *,
        l2: float = 0.0,
        l2_bias: bool = False,
        training: bool = True,
        scale: float = 1.0,
    ) -> tuple[float, np.ndarray]:
        """One forward and backward pass over a batch; fill every layer's ``grads``.

        Parameters
        ----------
        X : ndarray of shape (n, n_inputs)
            Inputs, already validated and of the network's dtype.
        T : ndarray of shape (n, n_outputs)
            Encoded targets (one-hot rows for classes).
        loss : Loss
            The data loss.
        l2 : float
            Weight of the penalty ``l2 * sum(W**2)``, gradient ``2 * l2 * W``.
        l2_bias : bool
            Whether biases are penalised too.
        scale : float
            ``grads`` receive ``scale`` times the gradient. Backpropagation is
            linear in the loss gradient, so scaling it (a small (n, k) array)
            scales every gradient: plain SGD passes its learning rate here and
            saves a pass over each weight matrix (see ``Optimizer.gradient_scale``).

        Returns
        -------
        objective : float
            Data loss plus the L2 penalty.
        outputs : ndarray of shape (n, n_outputs)
            The network's outputs for ``X``.
        """
        if self.is_fused(loss):
            Z = self._forward(X, self.layers[:-1], training)
            value = loss.forward_logits(Z, T)
            outputs = loss.outputs  # the output activation of Z, computed by the loss
            layers = self.layers[:-1]
        else:
            outputs = self._forward(X, self.layers, training)
            value = loss.forward(outputs, T)
            layers = self.layers
        delta = loss.backward() if scale == 1 else scale * loss.backward()
        self._backward(delta, layers, need_input_grad=False)
        if l2:
            value += self.add_l2(l2, l2_bias, scale)
        return value, outputs

    def add_l2(self, l2: float, l2_bias: bool = False, scale: float = 1.0) -> float:
        """Add ``scale * 2 * l2 * W`` to the gradients; return the penalty ``l2 * sum(W**2)``.

        Call after a backward pass (with the same ``scale``). Biases (keys
        ending ".b") count only with ``l2_bias``.
        """
        penalty = 0.0
        for key, param, grad in self.parameters():
            if l2_bias or not key.endswith(".b"):
                penalty += float(np.vdot(param, param))
                grad += (2.0 * l2 * scale) * param
        return l2 * penalty

    # -- parameters --------------------------------------------------------------
    def parameters(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Yield ``(key, param, grad)`` for every parameter; keys like ``"0.W"``."""
        for index, layer in enumerate(self.layers):
            for name, param in layer.params.items():
                yield f"{index}.{name}", param, layer.grads[name]

    def get_weights(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, by key."""
        return {key: param.copy() for key, param, _ in self.parameters()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy ``weights`` (as from ``get_weights``) into the parameters in place."""
        own = {key: param for key, param, _ in self.parameters()}
        if set(weights) != set(own):
            raise ValueError(
                f"weights have keys {sorted(weights)} but the network has {sorted(own)}"
            )
        for key, param in own.items():
            value = np.asarray(weights[key])
            if value.shape != param.shape:
                raise ValueError(f"weight {key!r} has shape {value.shape}, expected {param.shape}")
            np.copyto(param, value)

    @property
    def n_parameters(self) -> int:
        """The number of trainable scalars."""
        return sum(param.size for _, param, _ in self.parameters())

    # -- using a trained network ---------------------------------------------------
    def _outputs(self, X: Any) -> np.ndarray:
        X = check_array(X, "X", n_features=self.n_inputs, dtype=self.dtype)
        chunks = [
            self._forward(X[i : i + _PREDICT_BATCH], self.layers, False)
            for i in range(0, len(X), _PREDICT_BATCH)
        ]
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    def labels_of(self, outputs: np.ndarray) -> np.ndarray:
        """The classes that ``outputs`` (n, n_outputs) stand for: argmax, or a threshold."""
        low, high = TARGET_VALUES[self.targets]
        return predicted_labels(outputs, threshold=(low + high) / 2)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels, shape (n,), for a classifier; values for a regressor.

        A regressor returns shape (n,) with one output and (n, n_outputs) otherwise.
        """
        outputs = self._outputs(X)
        if self.task == "classification":
            return self.labels_of(outputs)
        return outputs[:, 0] if self.n_outputs == 1 else outputs

    def predict_proba(self, X: Any) -> np.ndarray:
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

    def evaluate(self, X: Any, y: Any, loss: str | losses.Loss | None = None) -> dict[str, float]:
        """Loss (without any L2 penalty) and accuracy (classifier) or R² (regressor) on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n, n_inputs)
        y : array-like of shape (n,) or (n, n_outputs)
            Class labels, one-hot or real targets.
        loss : str or Loss, optional
            Defaults to the loss of the last ``fit``, else the default loss for
            this network's output (see ``default_loss``).
        """
        X = check_array(X, "X", n_features=self.n_inputs, dtype=self.dtype)
        T, labels = check_targets(y, self, n_samples=len(X))
        loss = self.resolve_loss(loss if loss is not None else self.loss)
        total, outputs = 0.0, []
        for i in range(0, len(X), _PREDICT_BATCH):
            Xb, Tb = X[i : i + _PREDICT_BATCH], T[i : i + _PREDICT_BATCH]
            if self.is_fused(loss):
                Z = self._forward(Xb, self.layers[:-1], False)
                value = loss.forward_logits(Z, Tb)
                outputs.append(loss.outputs)
            else:
                outputs.append(self._forward(Xb, self.layers, False))
                value = loss.forward(outputs[-1], Tb)
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
        last = self.layers[-1]
        if isinstance(last, activations.Softmax):
            return losses.CrossEntropy()
        if isinstance(last, activations.Sigmoid):
            return losses.BinaryCrossEntropy()
        return losses.MSE()

    def resolve_loss(self, loss: str | losses.Loss | None) -> losses.Loss:
        """Turn ``loss`` into a Loss and check that it suits the output layer."""
        loss = self.default_loss() if loss is None else losses.get(loss)
        needs_probabilities = isinstance(loss, losses.CrossEntropy | losses.BinaryCrossEntropy)
        if needs_probabilities and not isinstance(self.layers[-1], _PROBABILITY_OUTPUTS):
            raise ValueError(
                f"{loss.name} needs outputs in (0, 1), but the network ends in "
                f"{type(self.layers[-1]).__name__}; use output='softmax' (or 'sigmoid')"
            )
        if needs_probabilities and self.targets != "one_hot":
            raise ValueError(
                f"{loss.name} needs 0/1 targets; build the network with targets='one_hot'"
            )
        return loss

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        loss: str | losses.Loss | None = None,
        optimizer: Any = "sgd",
        epochs: int = 10,
        batch_size: int | None = None,
        validation: tuple[Any, Any] | None = None,
        callbacks: Sequence[Any] = (),
        seed: int | np.random.Generator | None = None,
        shuffle: bool = True,
        l2: float = 0.0,
        l2_bias: bool = False,
        initial_epoch: int = 0,
        augment: Any = None,
    ) -> training.History:
        """Train the network by backpropagation; see :func:`mlpkit.training.fit`.

        ``batch_size=None`` is full-batch gradient descent; ``validation=(X, y)``
        is evaluated after every epoch; ``seed`` fixes the shuffling.
        """
        return training.fit(
            self,
            X,
            y,
            loss=loss,
            optimizer=optimizer,
            epochs=epochs,
            batch_size=batch_size,
            validation=validation,
            callbacks=callbacks,
            seed=seed,
            shuffle=shuffle,
            l2=l2,
            l2_bias=l2_bias,
            initial_epoch=initial_epoch,
            augment=augment,
        )

    # -- description ---------------------------------------------------------------
    def summary(self) -> str:
        """A table of the layers, their output shapes and parameter counts."""
        rows = [("#", "layer", "output", "params", "shapes")]
        for index, layer in enumerate(self.layers):
            count = sum(p.size for p in layer.params.values())
            shapes = ", ".join(f"{k} {p.shape}" for k, p in layer.params.items())
            width = layer.n_out if isinstance(layer, Dense) else "same"
            rows.append((str(index), repr(layer), str(width), f"{count:,}", shapes))
        widths = [max(len(row[c]) for row in rows) for c in range(5)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        lines.append(
            f"{self.n_inputs} inputs -> {self.n_outputs} outputs, "
            f"{self.n_parameters:,} parameters ({np.dtype(self.dtype).name}), {self.task}"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Network({self.layers!r}, task={self.task!r}, targets={self.targets!r})"


def _per_layer(value: Any, count: int, name: str) -> list[Any]:
    """Broadcast a setting to ``count`` layers, or check a per-layer list's length."""
    if isinstance(value, list | tuple):
        if len(value) != count:
            raise ValueError(f"{name} has {len(value)} entries but there are {count} layers")
        return list(value)
    return [value] * count


def mlp(
    sizes: Sequence[int],
    hidden: str | activations.Activation | Sequence[Any] = "relu",
    output: str | activations.Activation = "softmax",
    *,
    init: str | initializers.Initializer | Sequence[Any] = "glorot_uniform",
    bias_init: str | initializers.Initializer | Sequence[Any] = "zeros",
    seed: int | np.random.Generator | None = None,
    dtype: Any = "float32",
    task: str | None = None,
    targets: str = "one_hot",
    dropout: float = 0.0,
) -> Network:
    """Build a multi-layer perceptron: Dense layers with activations between them.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``[64, 36, 10]``: 64 inputs,
        one hidden layer of 36 units, 10 outputs. Any depth.
    hidden : str or Activation, or a list of one per hidden layer
        The hidden activation(s): "sigmoid", "tanh", "relu", "leaky_relu",
        "linear" or "softmax".
    output : str or Activation
        The output activation.
    init, bias_init : str or Initializer, or a list of one per Dense layer
        How weights and biases are drawn (Glorot uniform and zeros by default).
    seed : int or Generator, optional
        Makes the initial weights reproducible.
    dtype : {'float32', 'float64'}
    task : {'classification', 'regression'}, optional
        See :class:`Network`.
    targets : {'one_hot', 'signed'}
        See :class:`Network`.
    dropout : float
        If positive, a ``Dropout`` layer of this rate follows each hidden activation.

    Examples
    --------
    >>> net = mlp([2, 16, 16, 2], hidden="tanh", output="softmax", seed=0)
    >>> net.n_parameters
    354
    """
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
        raise TypeError(f"sizes must be a list of layer widths, got {type(sizes).__name__}")
    sizes = [check_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes}")
    n_dense = len(sizes) - 1
    hidden_acts = _per_layer(hidden, n_dense - 1, "hidden")
    inits = _per_layer(init, n_dense, "init")
    bias_inits = _per_layer(bias_init, n_dense, "bias_init")
    rng = as_rng(seed)
    layers: list[Layer] = []
    for i in range(n_dense):
        layers.append(
            Dense(
                sizes[i],
                sizes[i + 1],
                init=inits[i],
                bias_init=bias_inits[i],
                seed=rng,
                dtype=dtype,
            )
        )
        act = hidden_acts[i] if i < n_dense - 1 else output
        # A fresh layer per position: activation layers cache their inputs.
        layers.append(activations.get(act if isinstance(act, str) else _copy_activation(act)))
        if dropout and i < n_dense - 1:
            layers.append(Dropout(dropout))
    return Network(layers, task=task, targets=targets)


def _copy_activation(act: Any) -> Any:
    if isinstance(act, activations.Activation):
        return type(act)(**act.get_config())
    return act
