"""Hostile model and data files (issue 26): wrong class lists, preprocessing blocks, odd files.

Before these checks a model naming one class for two outputs (or three, or a
name twice) loaded and predicted; a preprocessing block with a null or empty
range loaded and failed on the first input with "cannot unpack non-iterable
NoneType object", naming no file; inputs far outside the training range went
through without a word; a CSV cell over csv's field limit was an internal
error; values beyond float32 were "NaN or infinity"; a folder where a data
file belongs was "not in" the folder and downloaded over; a MATLAB v7.3 file
was an internal error.
"""

import json

import numpy as np
import pytest

import mlpkit as mk
from helpers import one_line_error
from mlpkit import cli
from mlpkit.datasets.preprocessing import Preprocessor


@pytest.fixture
def model(tmp_path):
    """A 3-input, 2-class model rescaling 0..3, saved; and a CSV of one near sample."""
    network = mk.mlp([3, 4, 2], seed=0)
    network.classes = ["cat", "dog"]
    network.preprocessor = Preprocessor("rescale01").fit(np.array([[0, 0, 0], [1, 2, 3.0]]))
    path = tmp_path / "model.npz"
    mk.save(network, path)
    inputs = tmp_path / "in.csv"
    inputs.write_text("x,y,z\n0.5,1,2\n")
    return path, inputs


def _edit(path, config_change=None, arrays_change=None):
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    config = json.loads(str(arrays["__config__"]))
    if config_change:
        config_change(config)
    if arrays_change:
        arrays_change(arrays)
    arrays["__config__"] = np.array(json.dumps(config))
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        (["cat"], r"it names 1 class \(\['cat'\]\) but its output layer stands for 2"),
        (["a", "b", "c"], "it names 3 classes"),
        (["cat", "cat"], "repeats a name"),
        ("cd", "is not a list of names"),
        ([["cat"], "dog"], "is not a list of names"),
        ([True, False], "is not a list of names"),
    ],
)
def test_a_class_list_that_does_not_fit_the_outputs_is_refused(model, classes, message):
    path, _ = model
    _edit(path, lambda config: config.update(classes=classes))
    with pytest.raises(ValueError, match=f"{path} is not a mlpkit model file: .*{message}"):
        mk.load(path)


def test_integer_class_names_and_no_names_load(model):
    path, _ = model
    _edit(path, lambda config: config.update(classes=[3, 7]))
    assert mk.load(path).classes == [3, 7]
    _edit(path, lambda config: config.update(classes=None))
    assert mk.load(path).classes is None


def _standardize(config):
    config["preprocess"] = {"kind": "standardize", "value_range": None}


@pytest.mark.parametrize(
    ("config_change", "arrays_change", "message"),
    [
        (lambda c: c["preprocess"].update(value_range=None), None, "got None"),
        (lambda c: c["preprocess"].update(value_range=[1, 1]), None, r"got \[1, 1\]"),
        (lambda c: c["preprocess"].update(value_range=[0]), None, r"got \[0\]"),
        (lambda c: c["preprocess"].update(value_range=["x", 2]), None, "got"),
        (lambda c: c["preprocess"].update(kind="whiten"), None, "unknown preprocessing 'whiten'"),
        (lambda c: c.update(preprocess=5), None, "it is int, not a table"),
        (lambda c: c.update(preprocess={}), None, "unknown preprocessing None"),
        (_standardize, None, "its standardisation 'mean' array is missing"),
        (
            _standardize,
            lambda a: a.update({"preprocess:mean": np.zeros(2), "preprocess:scale": np.ones(3)}),
            r"'mean' has shape \(2,\), not \(3,\)",
        ),
        (
            _standardize,
            lambda a: a.update({"preprocess:mean": np.zeros(3), "preprocess:scale": -np.ones(3)}),
            "its scale must be > 0 for every feature",
        ),
    ],
)
def test_an_unusable_preprocessing_block_is_refused_on_load_naming_the_file(
    model, capsys, config_change, arrays_change, message
):
    path, inputs = model
    _edit(path, config_change, arrays_change)
    with pytest.raises(ValueError, match=f"{path}.*its preprocessing block is unusable.*{message}"):
        mk.load(path)
    line = one_line_error(["predict", str(path), str(inputs)], capsys)
    assert str(path) in line and str(inputs) not in line  # the model is to blame, not the input


def test_inputs_far_outside_the_training_range_are_warned_about(model, tmp_path, capsys):
    path, inputs = model
    assert cli.main(["predict", str(path), str(inputs)]) == 0
    assert capsys.readouterr().err == ""
    far = tmp_path / "far.csv"
    far.write_text("x,y,z\n0.5,1,2\n100,1,2\n")
    assert cli.main(["predict", str(path), str(far)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3  # still predicted
    assert "warning" in captured.err and "1 of 6 values lie far outside the range 0..3" in (
        captured.err
    )
    assert "(one is 100)" in captured.err and "extrapolation" in captured.err


def test_standardised_inputs_far_from_the_mean_are_warned_about():
    step = Preprocessor("standardize").fit(np.array([[0.0, 1.0], [2.0, 3.0]]))
    assert step.far_outside(step.transform(np.array([[1.0, 2.0]]))) is None
    message = step.far_outside(step.transform(np.array([[1.0, 50.0]])))
    assert message.startswith("1 of 2 values lie more than 10 standard deviations")


def _recipe_on(path, capsys, tmp_path):
    argv = ["run", "moons-mlp", "--set", "data.name=file", "--set", f"data.path={path}"]
    argv += ["--set", "data.target=label", "--out", str(tmp_path / "run"), "--quiet"]
    return one_line_error(argv, capsys)


def test_a_csv_cell_over_the_field_limit_is_named_by_line(tmp_path, capsys):
    path = tmp_path / "long.csv"
    path.write_text("a,b,label\n1,2," + "x" * 200_000 + "\n" + "3,4,y\n" * 10)
    message = _recipe_on(path, capsys, tmp_path)
    assert f"{path} line 2 cannot be read as CSV (field larger than field limit" in message
    assert not (tmp_path / "run").exists()


def test_values_beyond_float32_are_named_not_called_nan(tmp_path, capsys):
    path = tmp_path / "huge.csv"
    path.write_text("a,b,label\n" + "1,1e300,x\n3,2,y\n" * 20)
    message = _recipe_on(path, capsys, tmp_path)
    assert "holds 1e+300 at index" in message and "too large for float32" in message
    assert "NaN" not in message


def test_a_folder_where_a_data_file_belongs_is_named(tmp_path):
    from mlpkit.datasets.files import DataNotFoundError, RemoteFile, fetch

    (tmp_path / "labels.gz").mkdir()
    remote = RemoteFile("labels.gz", "0" * 64, "https://example.invalid/labels.gz")
    with pytest.raises(DataNotFoundError, match="is a folder or special file, not the data file"):
        fetch(tmp_path, remote)
    assert (tmp_path / "labels.gz").is_dir()  # left as it was


def test_a_matlab_v73_digits_file_is_named(tmp_path):
    import scipy.io

    from mlpkit.datasets import read_ex4data1

    v5 = tmp_path / "v5.mat"
    scipy.io.savemat(v5, {"X": np.zeros((3, 400)), "y": np.ones((3, 1))})
    X, y = read_ex4data1(v5)
    assert X.shape == (3, 400) and y.shape == (3,)
    header = bytearray(v5.read_bytes())
    header[124:126] = (0x0200).to_bytes(2, "little")  # the version field of a v7.3 file
    v73 = tmp_path / "v73.mat"
    v73.write_bytes(bytes(header))
    with pytest.raises(ValueError, match=r"is a MATLAB v7.3 \(HDF5\) file.*-v7"):
        read_ex4data1(v73)
    wrong = tmp_path / "wrong.mat"
    scipy.io.savemat(wrong, {"X": np.zeros((3, 100)), "y": np.ones((3, 1))})
    with pytest.raises(ValueError, match=r"its X has shape \(3, 100\)"):
        read_ex4data1(wrong)


def _version_1(path, layers, arrays):
    config = {"format": "mlpkit-model", "format_version": 1, "layers": layers}
    np.savez(path, __config__=np.array(json.dumps(config)), **arrays)
    return path


W, B = np.zeros((2, 3), np.float32), np.zeros(3, np.float32)


@pytest.mark.parametrize(
    ("layers", "arrays", "message"),
    [
        (
            [{"type": "Conv2D", "filters": 3, "kernel_size": 3}, {"type": "Softmax"}],
            {},
            "layer 0 is of type 'Conv2D', which format version 1 never held",
        ),
        ([{"type": "Dense", "n_in": 2}], {}, r"layer 0 \(Dense\) needs positive whole n_in"),
        (
            [{"type": "Dense", "n_in": 2, "n_out": 3}, {"type": "Dense", "n_in": 4, "n_out": 3}],
            {"0.W": W, "0.b": B},
            r"layer 1 \(Dense\) takes 4 inputs after 3 outputs",
        ),
        ("x", {}, "its layers are 'x', not a list of layers"),
        ([5], {}, "layer 0 is int, not a table"),
    ],
)
def test_a_version_1_file_that_version_1_never_wrote_is_named(tmp_path, layers, arrays, message):
    path = _version_1(tmp_path / "old.npz", layers, arrays)
    with pytest.raises(ValueError, match=f"{path} is not a mlpkit model file: .*{message}"):
        mk.load(path)


def test_a_true_version_1_file_loads(tmp_path):
    layers = [{"type": "Dense", "n_in": 2, "n_out": 3}, {"type": "Sigmoid"}]
    network = mk.load(_version_1(tmp_path / "old.npz", layers, {"0.W": W, "0.b": B}))
    assert network.input_shape == (2,) and repr(network.layers) == "[Dense(units=3), Sigmoid()]"
