"""Downloads (against a local HTTP server), file readers and their errors."""

import gzip
import hashlib
import http.server
import threading
from functools import partial

import numpy as np
import pytest

from mlpkit import datasets
from mlpkit.datasets.files import ChecksumError, DataNotFoundError, RemoteFile, fetch

GOOD = b"the real file\n" * 100


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server on 127.0.0.1 with a good and a corrupted file: nothing leaves the machine."""
    root = tmp_path_factory.mktemp("mirror")
    (root / "good.bin").write_bytes(GOOD)
    (root / "corrupted.bin").write_bytes(GOOD[:-1] + b"X")
    handler = partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


SHA = hashlib.sha256(GOOD).hexdigest()


@pytest.fixture(autouse=True)
def online(monkeypatch):
    monkeypatch.delenv("MLPKIT_OFFLINE", raising=False)


def test_good_download_is_checked_and_renamed(server, tmp_path):
    path = fetch(tmp_path, RemoteFile("good.bin", SHA, server + "good.bin"))
    assert path == tmp_path / "good.bin" and path.read_bytes() == GOOD
    assert not (tmp_path / "good.bin.partial").exists()
    # Present now: a second fetch does not touch the network (the URL is dead).
    assert fetch(tmp_path, RemoteFile("good.bin", SHA, "http://127.0.0.1:9/none")) == path


def test_corrupted_download_is_deleted_and_reported(server, tmp_path):
    remote = RemoteFile("corrupted.bin", SHA, server + "corrupted.bin")
    with pytest.raises(ChecksumError, match=r"has SHA-256 .*expected .*partial file was deleted"):
        fetch(tmp_path, remote)
    assert list(tmp_path.iterdir()) == []


def test_missing_file_on_the_server(server, tmp_path):
    remote = RemoteFile("absent.bin", SHA, server + "absent.bin")
    with pytest.raises(DataNotFoundError, match=r"absent.bin is not in .*404.*put the file there"):
        fetch(tmp_path, remote)
    assert list(tmp_path.iterdir()) == []


def test_offline_names_the_folder_and_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPKIT_OFFLINE", "1")
    remote = RemoteFile("train.gz", SHA, "http://127.0.0.1:9/train.gz")
    with pytest.raises(DataNotFoundError, match=f"train.gz is not in {tmp_path}; put it there"):
        fetch(tmp_path, remote)


def test_unreachable_mirror(tmp_path):
    remote = RemoteFile("train.gz", SHA, "http://127.0.0.1:9/train.gz")  # port 9: refused
    with pytest.raises(DataNotFoundError, match="downloading it from .* failed"):
        fetch(tmp_path, remote, timeout=5)


def write_idx(path, array, compress=True):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("compress", [True, False])
def test_idx_round_trip(tmp_path, compress):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(np.uint8)
    write_idx(tmp_path / "images.idx", images, compress)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "images.idx"), images)


def test_idx_truncated_and_corrupt(tmp_path):
    images = np.zeros((5, 4, 4), np.uint8)
    write_idx(tmp_path / "full.gz", images)
    data = gzip.decompress((tmp_path / "full.gz").read_bytes())
    (tmp_path / "short.gz").write_bytes(gzip.compress(data[:-7]))
    with pytest.raises(ValueError, match=r"short.gz is truncated or corrupt: .*promises 80 bytes"):
        datasets.read_idx(tmp_path / "short.gz")
    (tmp_path / "cut.gz").write_bytes((tmp_path / "full.gz").read_bytes()[:20])
    with pytest.raises(ValueError, match="cut.gz is truncated or corrupt"):
        datasets.read_idx(tmp_path / "cut.gz")
    (tmp_path / "text.gz").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="text.gz is not an IDX file"):
        datasets.read_idx(tmp_path / "text.gz")


def test_optdigits_reader_errors(tmp_path):
    (tmp_path / "narrow.csv").write_text("1,2,3\n")
    with pytest.raises(ValueError, match="narrow.csv has 3 columns; optdigits rows have 65"):
        datasets.read_optdigits(tmp_path / "narrow.csv")
    (tmp_path / "range.csv").write_text(",".join(["17"] * 64 + ["3"]) + "\n")
    with pytest.raises(ValueError, match="outside optdigits' ranges"):
        datasets.read_optdigits(tmp_path / "range.csv")
    (tmp_path / "text.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="text.csv is not an optdigits file"):
        datasets.read_optdigits(tmp_path / "text.csv")


def test_read_table_csv_with_text_labels(tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text("width,species,height\n1.5,setosa,2\n3,virginica,4.5\n2,setosa,1\n")
    X, y, classes = datasets.read_table(path, target="species")
    np.testing.assert_array_equal(X, [[1.5, 2], [3, 4.5], [2, 1]])
    np.testing.assert_array_equal(y, [0, 1, 0])
    assert classes == ["setosa", "virginica"]


@pytest.mark.parametrize(
    ("content", "target", "message"),
    [
        ("a,b\n1,2\n", "label", r"has no column 'label'; its columns are \['a', 'b'\]"),
        ("a,label\nx,1\n", "label", r"line 2, column 'a': 'x' is not a number"),
        ("a,label\n1,0\n,1\n", "label", r"line 3, column 'a' is empty or NaN"),
        ("a,label\nnan,0\n", "label", r"line 2, column 'a' is empty or NaN"),
        ("a,label\n1,0\n2\n", "label", r"line 3 has 1 cells, the header has 2"),
        ("a,label\n", "label", "has no data rows"),
        ("a,label\n1,0\n", None, r"name the label column \(target=COLUMN\)"),
    ],
)
def test_read_table_errors(tmp_path, content, target, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        datasets.read_table(path, target=target)


def test_read_table_npz(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.eye(3), y=np.array([2, 0, 1]))
    X, y, classes = datasets.read_table(tmp_path / "d.npz")
    assert X.shape == (3, 3) and list(y) == [2, 0, 1] and classes == ["0", "1", "2"]
    np.savez(tmp_path / "bad.npz", features=np.eye(3))
    with pytest.raises(ValueError, match=r"must hold arrays 'X' and 'y'"):
        datasets.read_table(tmp_path / "bad.npz")
