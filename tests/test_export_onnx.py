"""ONNX export: onnxruntime gives what mlpkit's predict and predict_proba give.

Every built-in layer in networks of its own, every built-in recipe's network
(trained one epoch on a small subset) with its preprocessing in the graph, and
the scikit-learn estimators with every activation and output; at batch sizes 1
and 1000, through a file, checked by ``onnx.checker``.
"""

import warnings

import numpy as np
import pytest

import mlpkit as mk
from mlpkit import datasets, recipes, runs
from mlpkit.export import ExportError, Value, export_onnx, register

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")

TOLERANCE = 1e-5  # on probabilities, float32 in both


def session(model, tmp_path, name="model.onnx", **options):
    path = export_onnx(model, tmp_path / name, **options)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def outputs(sess, X):
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, {"input": np.asarray(X, np.float32)}), strict=True))


def assert_network_parity(sess, network, X):
    for rows in (X[:1], X[:1000]):
        got = outputs(sess, rows)
        inputs = rows if network.preprocessor is None else network.preprocessor.transform(rows)
        np.testing.assert_array_equal(got["label"], network.predict(inputs))
        if "probabilities" in got:
            expected = network.predict_proba(inputs)
            assert got["probabilities"].shape == expected.shape
            assert np.abs(got["probabilities"] - expected).max() <= TOLERANCE


def random_statistics(network, rng):
    """Moving statistics away from (0, 1), so that the export must use them."""
    for layer in network.layers:
        if isinstance(layer, mk.BatchNorm):
            size = layer.buffers["moving_mean"].shape
            layer.buffers["moving_mean"][:] = rng.normal(size=size)
            layer.buffers["moving_variance"][:] = rng.uniform(0.3, 3.0, size=size)
            layer.params["gamma"][:] = rng.uniform(0.5, 2.0, size=size)
            layer.params["beta"][:] = rng.normal(size=size)


L = mk.layers
LAYER_STACKS = {
    "conv-same-strided-bn-maxpool": [
        L.Conv2D(4, 3, strides=2, padding="same"),
        L.BatchNorm(),
        L.ReLU(),
        L.MaxPool2D(2, padding="same"),
        L.Flatten(),
        L.Dense(5),
        L.Softmax(),
    ],
    "conv-valid-avgpool-overlapping": [
        L.Conv2D(3, (2, 3), strides=(1, 2), use_bias=False),
        L.Tanh(),
        L.AvgPool2D(3, strides=1, padding="same"),
        L.LeakyReLU(0.2),
        L.MaxPool2D((2, 3), strides=(1, 2)),
        L.Flatten(),
        L.Dropout(0.5),
        L.Dense(4),
        L.Softmax(),
    ],
    "global-pool-sigmoid-multilabel": [
        L.Conv2D(6, 3, padding="same"),
        L.Exp(),
        L.GlobalAvgPool2D(),
        L.Dense(3),
        L.Sigmoid(),
    ],
    "reshape-dense-bn-single-sigmoid": [
        L.Flatten(),
        L.BatchNorm(),
        L.Dense(8),
        L.Linear(),
        L.Reshape((2, 4, 1)),
        L.AvgPool2D(2, padding="same"),
        L.Flatten(),
        L.Dense(1),
        L.Sigmoid(),
    ],
}


@pytest.mark.parametrize("name", LAYER_STACKS)
def test_every_built_in_layer_matches_onnxruntime(tmp_path, name):
    rng = np.random.default_rng(3)
    network = mk.Network(LAYER_STACKS[name], input_shape=(9, 11, 2), seed=1)
    random_statistics(network, rng)
    X = rng.normal(size=(1000, 9 * 11 * 2)).astype(np.float32)
    assert_network_parity(session(network, tmp_path), network, X)


def test_a_tanh_classifier_and_a_regressor_network(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 6)).astype(np.float32)
    signed = mk.mlp([6, 5, 1], hidden="relu", output="tanh", seed=0, targets="signed")
    got = outputs(session(signed, tmp_path, "signed.onnx"), X)
    np.testing.assert_array_equal(got["label"], signed.predict(X))  # threshold 0, not 0.5
    assert "probabilities" not in got and got["scores"].shape == (1000, 1)
    regressor = mk.mlp([6, 4, 2], hidden="tanh", output="linear", seed=0)
    got = outputs(session(regressor, tmp_path, "reg.onnx"), X)
    assert np.abs(got["prediction"] - regressor.predict(X)).max() <= TOLERANCE


def test_float64_network_and_opsets(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4 * 4 * 1))
    stack = [L.Conv2D(2, 2), L.ReLU(), L.Flatten(), L.Dense(3), L.Softmax()]
    network = mk.Network(stack, input_shape=(4, 4, 1), seed=0, dtype="float64")
    network.preprocessor = mk.datasets.Preprocessor("zscore_rows").fit(X)
    for opset in (13, 17, 18):
        sess = session(network, tmp_path, f"op{opset}.onnx", opset=opset)
        assert_network_parity(sess, network, X)
    with pytest.raises(ValueError, match=r"opset must be an int from 13 to \d+.*got 12"):
        export_onnx(network, tmp_path / "old.onnx", opset=12)


def test_metadata_and_named_outputs(tmp_path):
    network = mk.mlp([3, 2], output="softmax", seed=0)
    network.classes = ["cat", "dog"]
    path = export_onnx(network, tmp_path / "m.onnx")
    model = onnx.load(path)
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["classes"] == '["cat", "dog"]' and meta["input_shape"] == "[3]"
    assert meta["mlpkit_version"] == mk.__version__ and meta["task"] == "classification"
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    assert model.producer_name == "mlpkit"


class Cube(mk.layers.Activation):
    name = "cube_for_export_test"

    def forward(self, X, *, training=False):
        return X * X * X


def test_an_unmapped_layer_is_named_and_a_registered_one_exports(tmp_path):
    network = mk.Network([L.Dense(3), Cube(), L.Dense(2), L.Softmax()], input_shape=4, seed=0)
    with pytest.raises(ExportError, match=r"layer 1 \(.*Cube\) has no ONNX mapping.*register"):
        export_onnx(network, tmp_path / "cube.onnx")
    assert not (tmp_path / "cube.onnx").exists()

    @register(Cube)
    def export_cube(layer, graph, value, hint):
        square = graph.op("Mul", [value.name, value.name], f"{hint}/square")
        return Value(graph.op("Mul", [square, value.name], hint), value.shape)

    X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    assert_network_parity(session(network, tmp_path), network, X)


def test_bad_models_are_refused_clearly(tmp_path):
    from mlpkit.sklearn import MLPClassifier

    with pytest.raises(ExportError, match="not fitted"):
        export_onnx(MLPClassifier(), tmp_path / "x.onnx")
    with pytest.raises(ExportError, match="an mlpkit Network or a fitted.*got int"):
        export_onnx(42, tmp_path / "x.onnx")
    with pytest.raises(FileNotFoundError):
        export_onnx(tmp_path / "nowhere.npz", tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


# -- every built-in recipe, trained one epoch, exported from its run folder -------


@pytest.mark.slow
@pytest.mark.parametrize("name", recipes.builtin_names())
def test_every_recipe_network_matches_onnxruntime(tmp_path, name):
    config = recipes.load_recipe(name)
    info = datasets.get_info(config["data"]["name"])
    if not info.present():
        pytest.skip(f"{info.name} files not found: set MLPKIT_DATA to a folder holding them")
    overrides = ["train.epochs=1", "report.plots=false", "data.train_subset=256"]
    config = recipes.apply_overrides(config, overrides)
    runs.run(config, tmp_path / "run", quiet=True)
    network = mk.load(tmp_path / "run" / "model.npz")
    X = datasets.load(config["data"]["name"]).X_test[:1000]
    sess = session(tmp_path / "run", tmp_path)
    assert_network_parity(sess, network, X.reshape(len(X), -1))
    meta = {p.key: p.value for p in onnx.load(tmp_path / "model.onnx").metadata_props}
    assert meta["recipe"] == name


# -- the scikit-learn estimators --------------------------------------------------


def quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def sklearn_data(kind, rng):
    X = rng.normal(size=(1000, 5))
    score = X[:, 0] + 0.5 * X[:, 1]
    if kind == "binary":
        return X, np.where(score > 0, "yes", "no")
    if kind == "multiclass":
        return X, np.digitize(score, [-0.5, 0.5]) * 10  # 0, 10, 20
    if kind == "multilabel":
        return X, np.column_stack([score > 0, X[:, 2] > 0, X[:, 3] > 1]).astype(int)
    raise AssertionError(kind)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_sklearn_classifiers_match_onnxruntime(tmp_path, activation, kind):
    from mlpkit.sklearn import MLPClassifier

    rng = np.random.default_rng(0)
    X, y = sklearn_data(kind, rng)
    model = quiet_fit(MLPClassifier((7,), activation=activation, max_iter=5, random_state=0), X, y)
    sess = session(model, tmp_path)
    for rows in (X[:1], X):
        got = outputs(sess, rows)
        np.testing.assert_array_equal(got["label"], model.predict(rows))
        assert np.abs(got["probabilities"] - model.predict_proba(rows)).max() <= TOLERANCE


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_sklearn_regressors_match_onnxruntime(tmp_path, activation, loss, n_outputs):
    from mlpkit.sklearn import MLPRegressor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 4))
    y = np.abs(X[:, :n_outputs] + 0.1 * X[:, 2:3]) if n_outputs == 2 else np.abs(X[:, 0])
    model = quiet_fit(
        MLPRegressor(loss, (6,), activation=activation, max_iter=5, random_state=0), X, y
    )
    sess = session(model, tmp_path)
    for rows in (X[:1], X):
        got = outputs(sess, rows)["prediction"]
        expected = model.predict(rows)
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= 1e-4 * max(1.0, np.abs(expected).max())
