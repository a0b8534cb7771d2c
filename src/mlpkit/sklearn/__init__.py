"""Drop-in replacements for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``.

The constructor parameters, their defaults and meanings, the fitted attributes
and the methods are scikit-learn's (``from mlpkit.sklearn import
MLPClassifier`` in place of ``from sklearn.neural_network import
MLPClassifier``); the network underneath is an ordinary :class:`mlpkit.Network`,
trained by mlpkit's backpropagation and optimisers (``network_``).

Beyond scikit-learn, what its users asked for: ``class_weight``,
``transform(X, layer=k)`` (the hidden activations as features, with
``get_feature_names_out``), ``validation_loss_curve_`` and
``early_stopping_metric``, per-iteration ``callbacks``; and mlpkit's own
``solver="rmsprop"``, ``dropout``, ``dtype`` and ``network_`` (save it with
``mlpkit.save``, plot it with ``mlpkit.plots``).

>>> from mlpkit.sklearn import MLPClassifier
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> model = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, y)
>>> round(model.score(X, y), 2) >= 0.95
True
"""

from mlpkit.sklearn.classifier import MLPClassifier
from mlpkit.sklearn.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
