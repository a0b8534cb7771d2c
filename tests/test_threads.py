"""mlpkit's own threads: how many, and sharing work out among them."""

import threading

import pytest

from mlpkit._threads import limit_threads, mlpkit_threads, share_out


def test_threads_follow_the_environment_and_the_limit(monkeypatch):
    monkeypatch.delenv("MLPKIT_NUM_THREADS", raising=False)
    assert mlpkit_threads() == 1  # one unless asked
    monkeypatch.setenv("MLPKIT_NUM_THREADS", "3")
    assert mlpkit_threads() == 3
    with limit_threads(2):  # a search worker's share of the cores
        assert mlpkit_threads() == 2
        with limit_threads(5):  # a limit never adds threads
            assert mlpkit_threads() == 3
    assert mlpkit_threads() == 3
    monkeypatch.setenv("MLPKIT_NUM_THREADS", "many")
    assert mlpkit_threads() == 1
    with pytest.raises(ValueError, match="threads must be an integer >= 1, got 0"):
        limit_threads(0).__enter__()


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_every_task_runs_once_and_the_helpers_do_some(threads, monkeypatch):
    monkeypatch.setenv("MLPKIT_NUM_THREADS", threads)
    runs, lock = [], threading.Lock()
    gate = threading.Barrier(int(threads))  # each thread takes a task before any finishes

    def task(index):
        if index < int(threads):
            gate.wait(timeout=60)
        with lock:
            runs.append((index, threading.get_ident()))

    share_out(task, 50)
    assert sorted(index for index, _ in runs) == list(range(50))
    assert len({thread for _, thread in runs}) == int(threads)


def test_an_error_in_any_task_reaches_the_caller(monkeypatch):
    monkeypatch.setenv("MLPKIT_NUM_THREADS", "2")
    done = []

    def task(index):
        if index == 37:
            raise FloatingPointError("task 37 fails")
        done.append(index)

    with pytest.raises(FloatingPointError, match="task 37 fails"):
        share_out(task, 40)  # returns: no thread waits forever
