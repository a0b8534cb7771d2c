"""The ``Layer`` contract that every layer of a network follows.

A layer turns a batch ``X`` of shape ``(n, *input_shape)`` into a batch of
shape ``(n, *output_shape(input_shape))``. Rows (the first axis) are samples;
images are ``(height, width, channels)``, channels last.

What a new layer's author writes (docs: "Writing a new layer"), at most six names:

- ``name``, the registry name (and ``get_config()``, the constructor's
  arguments), so that ``layer_from_config`` rebuilds the layer from a saved
  model or a recipe;
- ``forward(X, *, training=False)``, which keeps what ``backward`` needs;
- ``backward(dY, *, need_input_grad=True)``, which overwrites ``grads`` (it
  never accumulates) and returns ``dL/dX``, or None when told nobody needs it;
- ``weight_shapes(input_shape)``, the shapes of its params (and buffers);
- ``output_shape(input_shape)``, pure, when it differs from the input's.

The base class keeps ``params`` and ``grads`` (dicts with the same keys and
shapes: the trainable arrays and their gradients) and ``buffers``
(non-trainable state, such as a moving mean, saved and restored with the
params but never given to the optimiser or to L2); ``build`` creates the
params with ``init_params`` once the input is known. Everything else has a
default a layer overrides only when it is wrong for it: ``regularized`` and
``biases`` (what L2 reaches), ``stochastic``, ``memory``, ``choices``,
``workspace``, ``multiply_adds``, ``smallest_training_batch``, ``check_state``.

Every subclass that sets its own ``name`` registers itself in ``REGISTRY``
when the class is created, a user's own layers included: there is no second
list of layer classes to keep in step.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar

import numpy as np

from mlpkit import initializers
from mlpkit._validation import registry_key

__all__ = [
    "MEMORY",
    "REGISTRY",
    "Layer",
    "Shape",
    "layer_class",
    "layer_from_config",
    "size_of",
]

Shape = tuple[int, ...]
"""One sample's shape, without the batch axis: ``(features,)`` or ``(height, width, channels)``."""

MEMORY = ("keeps", "fresh", "passes", "in_place")
"""The values of ``Layer.memory``. ``"keeps"``: nothing promised (the default; a
sigmoid keeps its output for backward). ``"fresh"``: each pass returns a new array
the layer does not keep (``Dense``). ``"passes"``: each returns its argument, a
view of it, or a new array it does not keep: fresh in, fresh out (``Flatten``).
``"in_place"``: the layer can overwrite its argument when ``plan_inplace`` allows
(``ReLU``)."""

REGISTRY: dict[str, type[Layer]] = {}
"""Every layer class by registry name and alias ("dense", "relu", "leaky_relu", ...)."""


class Layer:
    """Base class of every layer; a layer without parameters has empty dicts."""

    #: The registry name, used in saved models and recipes (``type = "dense"``).
    name: ClassVar[str] = ""
    #: Other names the registry accepts for this layer.
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Param keys that L2 weight decay penalises (kernels, not biases).
    regularized: ClassVar[tuple[str, ...]] = ()
    #: Param keys that L2 penalises only with ``l2_bias=True``.
    biases: ClassVar[tuple[str, ...]] = ()
    #: Whether ``forward`` draws from ``self.rng`` in training (``fit`` sets it).
    stochastic: ClassVar[bool] = False
    #: What ``forward`` and ``backward`` promise about the arrays they return, read
    #: by ``plan_inplace`` to let activations work in place (see ``MEMORY``).
    memory: ClassVar[str] = "keeps"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.memory not in MEMORY:
            raise ValueError(
                f"{_full_name(cls)}.memory must be one of {', '.join(map(repr, MEMORY))}, "
                f"got {cls.memory!r}"
            )
        if "name" not in cls.__dict__ or not cls.name:
            return  # an abstract base, or a subclass that keeps its parent's name
        for alias in (cls.name, *cls.__dict__.get("aliases", ())):
            key = registry_key(alias)
            known = REGISTRY.get(key)
            if known is not None and _full_name(known) != _full_name(cls):
                raise ValueError(
                    f"layer name {alias!r} of {_full_name(cls)} is taken by {_full_name(known)}"
                )
            REGISTRY[key] = cls

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        #: The per-sample input shape, set by ``build``.
        self.input_shape: Shape | None = None
        #: Whether ``forward`` may overwrite its input and ``backward`` its ``dY``
        #: (saving memory passes and allocations); set by ``plan_inplace``.
        self.inplace = False
        #: The generator a ``stochastic`` layer draws from in training (``fit`` sets it).
        self.rng: np.random.Generator | None = None
        #: This layer's own L2 weight on its ``regularized`` params, added to the
        #: ``l2`` of ``fit`` (Keras's ``kernel_regularizer``).
        self.l2 = 0.0

    @property
    def built(self) -> bool:
        """Whether ``build`` has run."""
        return self.input_shape is not None

    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]) -> None:
        """Create the params (``init_params``) and zero grads for inputs of ``input_shape``.

        A layer with buffers (moving statistics) overrides this, calling
        ``super().build`` first.
        """
        self.output_shape(input_shape)  # raises if this layer cannot take that input
        self.input_shape = tuple(input_shape)
        self.params = self.init_params(self.input_shape, rng, dtype)
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def init_params(
        self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]
    ) -> dict[str, np.ndarray]:
        """The initial params: an array for each shape ``weight_shapes`` names, in order.

        Glorot-uniform for arrays of two axes or more (fans as ``initializers.fans``
        counts them), zeros for vectors; ``rng`` draws them one after the other.
        Layers with their own initialisers (``Dense(init=...)``) override this.
        """
        glorot = initializers.get("glorot_uniform")
        params = {}
        for name, shape in (self.weight_shapes(input_shape) or {}).items():
            if len(shape) >= 2:
                params[name] = glorot(shape, *initializers.fans(shape), rng, dtype)
            else:
                params[name] = np.zeros(shape, dtype)
        return params

    def output_shape(self, input_shape: Shape) -> Shape:
        """The per-sample output shape for ``input_shape`` (the same by default)."""
        return tuple(input_shape)

    def weight_shapes(self, input_shape: Shape) -> dict[str, tuple[int, ...]] | None:
        """The shapes ``build(input_shape, ...)`` gives the params and buffers, without
        building; None when the layer does not say (it is then built to find out).

        ``mlpkit.load`` compares them with a file's arrays before allocating any.
        """
        return None

    def check_state(self, state: dict[str, np.ndarray]) -> None:
        """Raise ValueError if ``state`` (new values for params and buffers, by name)
        could not have come from training this layer; nothing by default.

        ``Network.set_weights`` (and so ``mlpkit.load`` and resume) asks before
        copying anything in, so that a damaged file is refused instead of
        loading and predicting nonsense.
        """

    def choices(self) -> np.ndarray | None:
        """The piecewise choices of the last ``forward`` (which side of a ReLU's kink,
        which window position a max-pool took), or None for a smooth layer.

        ``gradcheck`` skips an entry whose finite-difference steps change them:
        a difference quotient across a kink measures neither slope.
        """
        return None

    def workspace(self, input_shape: Shape) -> int:
        """Values per sample that ``forward`` holds besides its output (im2col patches)."""
        return 0

    def smallest_training_batch(self, input_shape: Shape) -> int:
        """The fewest samples a training batch must hold for this layer to learn from it.

        1 by default; 2 for a layer that normalises by the batch's own
        statistics with one value per channel per sample (BatchNorm after a
        dense layer), where a batch of one normalises every value to zero.
        """
        return 1

    def multiply_adds(self, input_shape: Shape) -> int:
        """The forward pass's multiply-adds for one sample (the summary's cost column).

        0 by default: activations, dropout and reshapes do no multiply-adds.
        Pooling layers count one operation (a comparison or an add) per value
        of each window, padding included.
        """
        return 0

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Return the output for ``X`` of shape ``(n, *input_shape)``."""
        raise NotImplementedError

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        """Given ``dY = dL/dY`` of the output's shape, fill ``grads``, return ``dL/dX``."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (without weights)."""
        return {}

    @property
    def n_parameters(self) -> int:
        """Trainable scalars."""
        return sum(p.size for p in self.params.values())

    def __repr__(self) -> str:
        """The class and the arguments that differ from their defaults: ``Dense(units=16)``."""
        defaults = {
            p.name: p.default
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.default is not p.empty
        }
        shown = [
            f"{key}={value!r}"
            for key, value in self.get_config().items()
            if key not in defaults or not _same_value(value, defaults[key])
        ]
        return f"{type(self).__name__}({', '.join(shown)})"


def _same_value(value: Any, default: Any) -> bool:
    """Whether a config value equals a default written another way (3 for [3, 3])."""
    if isinstance(value, list | tuple):
        if isinstance(default, int) and not isinstance(default, bool):
            return all(v == default for v in value)
        return isinstance(default, list | tuple) and list(value) == list(default)
    return value == default


def _full_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def layer_class(name: str) -> type[Layer]:
    """The layer class registered as ``name``; an unknown name lists the valid ones."""
    if not isinstance(name, str):
        raise TypeError(f"a layer type must be a name (str), got {type(name).__name__}")
    cls = REGISTRY.get(registry_key(name))
    if cls is None:
        valid = ", ".join(sorted({c.name for c in REGISTRY.values()}))
        raise ValueError(f"unknown layer type {name!r}; valid types are {valid}")
    return cls


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Build a layer from ``{"type": name, **arguments}`` (a saved model, a recipe table).

    An unknown type or argument is a ``ValueError`` that lists the valid ones.
    """
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"a layer must be a table with a 'type' key, got {config!r}")
    arguments = dict(config)
    cls = layer_class(arguments.pop("type"))
    parameters = [
        p
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    accepted = [p.name for p in parameters]
    unknown = sorted(set(arguments) - set(accepted))
    if unknown:
        valid = ", ".join(accepted) or "none"
        raise ValueError(
            f"unknown argument {unknown[0]!r} for layer type {cls.name!r}; valid arguments are "
            f"{valid}"
        )
    missing = [p.name for p in parameters if p.default is p.empty and p.name not in arguments]
    if missing:
        raise ValueError(f"layer type {cls.name!r} needs {', '.join(missing)}")
    return cls(**arguments)


def size_of(shape: Shape) -> int:
    """The number of values in one sample of ``shape``."""
    return math.prod(shape)
