"""Hostile inputs (issue 26): data that trained or predicted to a wrong figure.

Each class here was accepted before its fix: complex X trained on its real parts
with only NumPy's warning; a server trickling its headers held a download forever.
"""

import numpy as np
import pytest

import mlpkit as mk
from helpers import one_line_error
from mlpkit import datasets
from mlpkit._validation import check_array, check_labels
from mlpkit.sklearn import MLPClassifier, MLPRegressor

RNG = np.random.default_rng(0)
X_REAL = RNG.normal(size=(40, 2))
X_COMPLEX = X_REAL + 1j * RNG.normal(size=(40, 2))
Y = np.arange(40) % 2


# --- complex numbers are refused, not cast to their real parts -------------------------


def _small_network():
    return mk.Network(
        [mk.layers.Dense(4), mk.layers.ReLU(), mk.layers.Dense(2), mk.layers.Softmax()],
        input_shape=(2,),
        seed=0,
    )


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_check_array_refuses_complex_naming_the_argument(dtype):
    with pytest.raises(ValueError, match=r"^X_val holds complex numbers \(dtype complex"):
        check_array(X_COMPLEX.astype(dtype), "X_val")


def test_complex_labels_are_refused():
    with pytest.raises(ValueError, match=r"^y holds complex numbers"):
        check_labels(Y + 0j, 2)


def test_network_fit_and_predict_refuse_complex():
    network = _small_network()
    with pytest.raises(ValueError, match="X holds complex numbers"):
        network.fit(X_COMPLEX, Y, epochs=1)
    network.fit(X_REAL, Y, epochs=1)
    with pytest.raises(ValueError, match="X holds complex numbers"):
        network.predict(X_COMPLEX)


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_the_estimators_refuse_complex_x_and_y_in_one_line(estimator):
    model = estimator(hidden_layer_sizes=(4,), max_iter=2)
    for X, y, name in [(X_COMPLEX, Y, "X"), (X_REAL, Y + 0.5j, "y")]:
        with pytest.raises(ValueError) as caught:
            model.fit(X, y)
        message = str(caught.value)
        # scikit-learn's own words (its estimator checks match them), and no array dump
        assert (
            message.startswith(f"{name} holds complex") and "Complex data not supported" in message
        )
        assert "\n" not in message and len(message) < 300
    with pytest.warns(Warning):  # two iterations do not converge
        model.fit(X_REAL, Y)
    with pytest.raises(ValueError, match="X holds complex numbers"):
        model.predict(X_COMPLEX)


def test_a_data_frame_with_a_complex_column_is_refused():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"a": X_REAL[:, 0], "b": X_COMPLEX[:, 1]})
    with pytest.raises(ValueError, match="X holds complex numbers"):
        MLPClassifier(max_iter=2).fit(frame, Y)


@pytest.mark.parametrize("member", ["X", "y"])
def test_an_npz_data_file_with_complex_arrays_is_refused(member, tmp_path, capsys):
    path = tmp_path / "complex.npz"
    arrays = {"X": X_REAL, "y": Y}
    arrays[member] = arrays[member] + 1j
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=rf"complex.npz: {member} holds complex numbers"):
        datasets.read_table(path)
    out = tmp_path / "out"
    argv = ["run", "moons-mlp", "--set", "data.name=file", "--set", f"data.path={path}"]
    err = one_line_error([*argv, "--out", str(out)], capsys)
    assert f"{member} holds complex numbers" in err
    assert not out.exists()


# --- a download has one deadline, headers included --------------------------------------


def _serve(handler_class):
    """Start a local HTTP server with ``handler_class``; return it and its base URL."""
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _trickling_handler(stop, phase):
    """A handler that sends a byte every 20 ms forever, in its headers or its body."""
    import http.server

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            try:
                if phase == "headers":  # a status line, then a header line that never ends
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                else:
                    self.send_response(200)
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                while not stop.wait(0.02):
                    self.wfile.write(b"x")
                    self.wfile.flush()
            except OSError:
                pass  # the client hung up

        def log_message(self, *args):
            pass

    return Trickle


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_trickling_download_stops_at_its_deadline_and_leaves_nothing(
    phase, tmp_path, monkeypatch
):
    import threading

    from mlpkit.datasets.files import DataNotFoundError, RemoteFile, fetch

    monkeypatch.delenv("MLPKIT_OFFLINE", raising=False)
    stop = threading.Event()
    server, url = _serve(_trickling_handler(stop, phase))
    try:
        with pytest.raises(DataNotFoundError, match=r"failed \(not finished after 0.5 s\)"):
            fetch(
                tmp_path, RemoteFile("slow.gz", "0" * 64, url + "slow.gz"), timeout=5, deadline=0.5
            )
    finally:
        stop.set()
        server.shutdown()
    assert list(tmp_path.iterdir()) == []  # the partial file is gone


def test_a_server_that_says_nothing_is_bounded_by_the_deadline_too(tmp_path, monkeypatch):
    import socket

    from mlpkit.datasets.files import DataNotFoundError, RemoteFile, fetch

    monkeypatch.delenv("MLPKIT_OFFLINE", raising=False)
    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts, never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/silent.gz"
        with pytest.raises(DataNotFoundError, match=r"not finished after 0.5 s"):
            fetch(tmp_path, RemoteFile("silent.gz", "0" * 64, url), timeout=60, deadline=0.5)
    assert list(tmp_path.iterdir()) == []
