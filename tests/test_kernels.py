"""The numba kernels against their NumPy references, and the choice of backend.

Tolerances. SGD, momentum, Nesterov and RMSprop's kernels do each element's
operations in the reference's order, in the reference's dtype, so they agree
bitwise. Adam's kernel folds the bias corrections into two scalars: a few
units in the last place per step, so 5 steps stay within ``rtol = 1e-5``
(float32) and ``1e-12`` (float64) of the reference.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlpkit as mk
from mlpkit import kernels

pytest.importorskip("numba", reason="the kernels need numba (the 'fast' extra)")

OPTIMIZERS = {
    "sgd": lambda: mk.SGD(0.05),
    "momentum": lambda: mk.SGD(0.05, momentum=0.9),
    "nesterov": lambda: mk.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: mk.Adam(0.01),
    "rmsprop": lambda: mk.RMSprop(0.01),
}
BITWISE = {"sgd", "momentum", "nesterov", "rmsprop"}
RTOL = {np.float32: 1e-5, np.float64: 1e-12}

shapes = st.lists(st.integers(1, 7), min_size=1, max_size=4).map(tuple)


def run_steps(backend, name, w0, gradients, monkeypatch):
    """The weights and state after one step per gradient on ``backend``."""
    monkeypatch.setenv("MLPKIT_KERNELS", backend)
    w, optimizer = w0.copy(), OPTIMIZERS[name]()
    for g in gradients:
        optimizer.step([("0.W", w, g)])
    return w, optimizer.state.get("0.W", {})


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "strided", "read-only"])
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_each_optimiser_kernel_equals_its_reference(name, dtype, layout, shape, seed):
    rng = np.random.default_rng(seed)
    w0 = rng.normal(size=shape).astype(dtype)
    gradients = []
    for _ in range(5):
        g = rng.normal(size=(*shape, 2)).astype(dtype)[..., 0]  # a strided view
        if layout != "strided":
            g = np.ascontiguousarray(g)
        g.flags.writeable = layout != "read-only"
        gradients.append(g)
    with pytest.MonkeyPatch.context() as monkeypatch:
        reference = run_steps("numpy", name, w0, gradients, monkeypatch)
        kernel = run_steps("numba", name, w0, gradients, monkeypatch)
    assert not np.array_equal(kernel[0], w0)
    for found, expected in [(kernel[0], reference[0])] + [
        (kernel[1][slot], reference[1][slot]) for slot in reference[1]
    ]:
        assert found.dtype == expected.dtype == dtype
        if name in BITWISE:
            np.testing.assert_array_equal(found, expected)
        else:
            np.testing.assert_allclose(found, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


def test_a_parameter_the_kernel_cannot_update_in_place_takes_the_reference(monkeypatch):
    # A non-contiguous parameter (a view) cannot be flattened in place.
    monkeypatch.setenv("MLPKIT_KERNELS", "numba")
    base = np.ones((4, 6))
    w = base[:, ::2]
    mk.SGD(0.5).step([("0.W", w, np.ones((4, 3)))])
    assert np.all(base[:, ::2] == 0.5) and np.all(base[:, 1::2] == 1)


def test_the_backend_follows_mlpkit_kernels(monkeypatch):
    monkeypatch.delenv("MLPKIT_KERNELS", raising=False)
    assert kernels.backend() == "numba"  # numba is installed here
    monkeypatch.setenv("MLPKIT_KERNELS", "numpy")
    assert kernels.backend() == "numpy"
    monkeypatch.setenv("MLPKIT_KERNELS", " Numba ")
    assert kernels.backend() == "numba"


def test_an_unknown_backend_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("MLPKIT_KERNELS", "cuda")
    with pytest.raises(ValueError, match=r"MLPKIT_KERNELS must be 'numba' or 'numpy'.*'cuda'"):
        kernels.backend()


def test_asking_for_numba_without_numba_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("MLPKIT_KERNELS", "numba")
    monkeypatch.setattr(kernels, "_numba_installed", lambda: False)
    with pytest.raises(ValueError, match=r"numba is not installed: pip install 'mlpkit\[fast\]'"):
        kernels.backend()
    monkeypatch.delenv("MLPKIT_KERNELS")
    assert kernels.backend() == "numpy"  # unset: the references, silently


def test_import_mlpkit_does_not_import_numba():
    code = "import sys, mlpkit; print('numba' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def test_a_read_only_package_folder_sends_the_cache_to_the_user_folder(tmp_path):
    # A fresh interpreter, as numba reads NUMBA_CACHE_DIR once, when first imported.
    code = (
        "import os, mlpkit.kernels as k\n"
        "os.access = lambda path, mode: False\n"  # the package folder: not writable
        "k.load('optimizers')\n"
        "print(os.environ['NUMBA_CACHE_DIR'])\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert found.stdout.strip() == str(tmp_path / "mlpkit" / "numba")


# Four 19 MB arrays made and freed ten times. On glibc 2.36's defaults each cycle
# faults about one round of them in again (18,000 pages); pinned, none.
FAULTS_OF_A_CYCLE = """
import resource, sys
import numpy as np
from mlpkit import kernels

def faults_of_a_cycle():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        arrays = [np.ones(4_700_000, np.float32) for _ in range(4)]
        del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

if sys.argv[1] == "pinned":
    assert kernels.keep_freed_memory()
faults_of_a_cycle()  # the first cycle faults the pages in, either way
print(faults_of_a_cycle())
"""


@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION")),
    reason="glibc's malloc only",
)
def test_keep_freed_memory_stops_each_cycle_faulting_its_arrays_in_again():
    def faults(mode):
        done = subprocess.run(
            [sys.executable, "-c", FAULTS_OF_A_CYCLE, mode], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return int(done.stdout)

    pages = 4 * 4_700_000 * 4 // os.sysconf("SC_PAGE_SIZE")  # the four arrays' pages
    if faults("default") < pages // 2:
        pytest.skip("this glibc keeps the freed pages by itself: nothing to compare")
    assert faults("pinned") < pages // 20


def test_keep_freed_memory_is_a_no_op_off_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert kernels.keep_freed_memory() is False
