"""Hostile files (issue 26): archives that inflate, models that lie about their format.

The inflation cases failed before the fix (the bound was per member, with 1 MiB of
slack each), as did the spliced archives and repeated keys that hid a newer format
version; the plain newer-format case guards a refusal that held already. Each
checks what the user sees and, where it matters, how much memory the refusal cost.
"""

import json
import zipfile

import numpy as np
import pytest

import mlpkit as mk
from helpers import peak_bytes_of


def add_members(path, count, size):
    """Append ``count`` members of ``size`` zero bytes each, deflated (about 1000x each)."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            header = np.lib.format.header_data_from_array_1_0(np.zeros(size, np.uint8))
            with archive.open(f"junk{index}.npy", "w") as handle:
                np.lib.format.write_array_header_1_0(handle, header)
                handle.write(bytes(size))


def small_model(path):
    network = mk.mlp([4, 3, 2], seed=0)
    mk.save(network, path)
    return path


# Many members, each inflating a thousand-fold but each under the per-member slack: the
# total is what must be bounded (1 MB on disk, 1 GB in memory before the fix).
SPREAD = {"count": 300, "size": 2**20 - 200}


def add_members_to(path):
    add_members(path, **SPREAD)
    assert path.stat().st_size < 2 * 2**20
    return path


def test_a_model_whose_members_inflate_a_thousandfold_is_refused_unread(tmp_path):
    path = add_members_to(small_model(tmp_path / "m.npz"))
    message, peak = peak_bytes_of(lambda: mk.load(path))
    assert message is not None and "would inflate from" in message and "m.npz" in message
    assert peak < 20 * 2**20


def test_a_data_file_whose_members_inflate_is_refused_unread(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    add_members_to(path)
    message, peak = peak_bytes_of(lambda: mk.datasets.read_table(path, "y"))
    assert message is not None and "would inflate from" in message and "d.npz" in message
    assert peak < 20 * 2**20


def test_a_data_file_with_one_member_of_zeros_stored_small_is_refused(tmp_path):
    path = tmp_path / "d.npz"
    np.savez_compressed(path, X=np.zeros((30_000, 1000)), y=np.zeros(30_000))  # 240 MB of zeros
    message, peak = peak_bytes_of(lambda: mk.datasets.read_table(path, "y"))
    assert message is not None and "would" in message and "d.npz" in message
    assert peak < 20 * 2**20


def test_a_checkpoint_whose_members_inflate_is_refused_unread(tmp_path):
    from mlpkit.runs.checkpoint import load_checkpoint, save_checkpoint

    network = mk.mlp([4, 3, 2], seed=0)
    optimizer = mk.SGD(0.1)
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, network, optimizer, np.random.default_rng(0), 1, mk.History())
    add_members_to(path)
    message, peak = peak_bytes_of(lambda: load_checkpoint(path))
    assert message is not None and "would inflate from" in message
    assert "checkpoint.npz is damaged or not an mlpkit checkpoint" in message
    assert peak < 20 * 2**20


def test_honest_compressed_files_still_load(tmp_path):
    """Real weights and data compress a few times at most: well inside the bound."""
    rng = np.random.default_rng(0)
    path = tmp_path / "d.npz"
    X = rng.integers(0, 17, (3000, 64)).astype(np.float64)  # optdigits-like, packs about 8x
    np.savez_compressed(path, X=X, y=rng.integers(0, 10, 3000))
    read_X, _, _ = mk.datasets.read_table(path, "y")
    assert np.array_equal(read_X, X)


# -- a model of a newer format ---------------------------------------------------------


def with_config(path, change):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    config = json.loads(str(arrays.pop("__config__")))
    change(config)
    arrays["__config__"] = np.array(json.dumps(config))
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("version", [3, 99, 2**40])
def test_a_model_of_a_newer_format_is_refused_naming_both_versions(tmp_path, version):
    path = with_config(
        small_model(tmp_path / "m.npz"), lambda config: config.update(format_version=version)
    )
    with pytest.raises(ValueError, match=f"model format version {version}, newer") as error:
        mk.load(path)
    assert "(up to 2)" in str(error.value)


# -- a newer version hidden in a spliced archive or a repeated key -----------------------
# Both loaded with exit 0 before: zipfile reads the last of two entries of one name, and
# json.loads the last of two keys, so a declared format version 3 could sit unread.


def append_entry(path, name, array):
    """Append ``name``.npy holding ``array`` to the archive, beside any entry of that name."""
    import io
    import warnings

    buffer = io.BytesIO()
    np.save(buffer, array)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr(f"{name}.npy", buffer.getvalue())
    return path


def config_of(path):
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(str(archive["__config__"]))


def test_a_model_with_a_newer_config_shadowed_by_a_second_entry_is_refused(tmp_path):
    path = small_model(tmp_path / "m.npz")
    config = config_of(path)
    with_config(path, lambda c: c.update(format_version=3))
    append_entry(path, "__config__", np.array(json.dumps(config)))  # the old one, read last
    with pytest.raises(ValueError, match=r"m.npz is not a mlpkit model file: it holds two "):
        mk.load(path)


def test_a_data_file_or_checkpoint_with_two_entries_of_one_name_is_refused(tmp_path):
    from mlpkit.runs.checkpoint import load_checkpoint, save_checkpoint

    data = tmp_path / "d.npz"
    np.savez(data, X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    append_entry(data, "X", np.ones((4, 2)))
    with pytest.raises(ValueError, match="two entries named 'X'"):
        mk.datasets.read_table(data, "y")
    checkpoint = tmp_path / "checkpoint.npz"
    network = mk.mlp([4, 3, 2], seed=0)
    save_checkpoint(checkpoint, network, mk.SGD(0.1), np.random.default_rng(0), 1, mk.History())
    append_entry(checkpoint, "weights:0.W", np.zeros((4, 3)))
    with pytest.raises(ValueError, match="damaged or not an mlpkit checkpoint.*two entries"):
        load_checkpoint(checkpoint)


def test_a_model_description_with_a_repeated_key_is_refused(tmp_path):
    path = small_model(tmp_path / "m.npz")
    text = json.dumps(config_of(path))
    spliced = text.replace('"format_version": 2', '"format_version": 3, "format_version": 2')
    assert spliced != text
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["__config__"] = np.array(spliced)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="its description gives 'format_version' twice"):
        mk.load(path)


def test_a_deeply_nested_description_is_refused_in_one_line(tmp_path, capsys):
    from helpers import one_line_error

    path = tmp_path / "m.npz"
    np.savez(path, __config__=np.array("[" * 100_000 + "]" * 100_000))
    (tmp_path / "in.csv").write_text("a,b,c,d\n1,2,3,4\n")
    err = one_line_error(["predict", str(path), str(tmp_path / "in.csv")], capsys)
    assert "m.npz is not a mlpkit model file: its description is nested deeper" in err


@pytest.mark.parametrize(
    ("version", "fragment"),
    [
        (2, "uses checkpoint format version 2, newer than this mlpkit reads (up to 1)"),
        (
            "1",
            "from its first epoch (its format version is '1')",
        ),
        (0, "first epoch (its format version is 0)"),
    ],
)
def test_a_checkpoint_names_its_format_version(version, fragment, tmp_path):
    from mlpkit.runs.checkpoint import load_checkpoint, save_checkpoint

    path = tmp_path / "checkpoint.npz"
    network = mk.mlp([4, 3, 2], seed=0)
    save_checkpoint(path, network, mk.SGD(0.1), np.random.default_rng(0), 1, mk.History())
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(str(arrays["__meta__"]))
    meta["format_version"] = version
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(ValueError) as caught:
        load_checkpoint(path)
    assert fragment in str(caught.value)
