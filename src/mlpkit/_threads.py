"""Threads for mlpkit's own element-wise work (BLAS keeps its own threads).

NumPy releases the GIL inside its element-wise loops, so pieces of one large
update can run on several cores at once. ``share_out`` hands the pieces out
one at a time to whichever thread asks next: on a machine busy with other
work, a helper thread that gets no core takes no piece and the calling
thread does them all, rather than waiting for a fixed half that has not
started. On a busy machine that is still not enough (E3 CNN epochs took 2.16x
as long with fixed halves, 1.94x with pieces on demand: a thread holding
Python's lock can lose its core), hence one thread by default.

How many threads: ``MLPKIT_NUM_THREADS`` if set, else 1, and within
``limit_threads(n)`` at most ``n``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from mlpkit._validation import check_int

_limit: int | None = None


@contextlib.contextmanager
def limit_threads(threads: int) -> Iterator[None]:
    """Within the block, mlpkit's element-wise work uses at most ``threads`` threads.

    For worker processes that share the cores (a search's trials), as
    ``threadpoolctl.threadpool_limits`` does for BLAS.
    """
    global _limit
    previous, _limit = _limit, check_int(threads, "threads")
    try:
        yield
    finally:
        _limit = previous


def mlpkit_threads() -> int:
    """``MLPKIT_NUM_THREADS`` if set, else 1; inside ``limit_threads(n)`` at most ``n``.

    One by default until ``bench/update_threads.py`` shows a gain inside the
    training loop on an idle machine (docs/PERFORMANCE.md).
    """
    value = os.environ.get("MLPKIT_NUM_THREADS", "").strip()
    threads = int(value) if value.isdigit() and int(value) > 0 else 1
    return threads if _limit is None else min(threads, _limit)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _helpers(count: int) -> ThreadPoolExecutor:
    """A pool of ``count`` threads, made once and kept (replaced if ``count`` changes)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers != count:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(count, thread_name_prefix="mlpkit")
        return _pool


def _forget_pool() -> None:
    global _pool
    _pool = None  # a forked child has the pool object but not its threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def share_out(task: Callable[[int], None], count: int) -> None:
    """Run ``task(0)``, ..., ``task(count - 1)`` on ``mlpkit_threads()`` threads.

    The tasks must touch disjoint memory. The calling thread works too and
    returns when every task has finished; an exception in any task is raised
    here.
    """
    threads = min(mlpkit_threads(), count)
    if threads < 2:
        for index in range(count):
            task(index)
        return
    claims = itertools.count()  # next() on it is atomic under the GIL
    finished, lock = threading.Event(), threading.Lock()
    state: dict = {"done": 0, "error": None}

    def work() -> None:
        while (index := next(claims)) < count:
            try:
                task(index)
            except BaseException as error:  # raised by the calling thread below
                state["error"] = error
                finished.set()
                return
            with lock:
                state["done"] += 1
                if state["done"] == count:
                    finished.set()

    pool = _helpers(threads - 1)
    for _ in range(threads - 1):
        pool.submit(work)
    work()
    finished.wait()  # for the tasks helpers took; a helper that came late took none
    if state["error"] is not None:
        raise state["error"]
