"""The same sweep in this process, on a process pool and on a Dask cluster gives the same table."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from krosbl.experiments import (
    ClusterError,
    ExperimentError,
    TrialContext,
    TrialError,
    get_experiment,
    run_experiment,
)
from krosbl.experiments.config import resolve
from krosbl.experiments.executors import (
    TrialTask,
    execute_trial,
    store_as_completed,
    trial_seed_sequence,
)

TINY = {"n": [10, 10, 10], "m": [4, 5, 6], "k": 2, "values": [10.0, 30.0]}
TRIALS = 3


def _run(out: Path, **kw: object) -> pd.DataFrame:
    return run_experiment(
        "synthetic-snr", trials=TRIALS, out=out, config=TINY, progress=False, plot=False, **kw
    )  # type: ignore[arg-type]


def _stored(out: Path) -> pd.DataFrame:
    files = sorted((out / "parts").glob("trial-*.parquet"))
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return frame.drop(columns="time_s")


@pytest.mark.slow
def test_serial_pool_and_dask_store_identical_results(tmp_path: Path) -> None:
    import distributed  # a declared dependency (krosbl[experiments]): missing is a failure

    serial = _run(tmp_path / "serial", workers=1)
    _run(tmp_path / "pool", workers=2)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        _run(tmp_path / "dask", client=client)
        assert client.status == "running"  # a client passed in is left open
    reference = _stored(tmp_path / "serial")
    n_algorithms = len(get_experiment("synthetic-snr").algorithms)
    assert len(reference) == TRIALS * 2 * n_algorithms
    assert reference["nmse"].notna().all()
    for other in ("pool", "dask"):
        pd.testing.assert_frame_equal(_stored(tmp_path / other), reference, check_exact=True)
    assert (serial["trial"].to_numpy() == np.repeat(np.arange(TRIALS), 2 * n_algorithms)).all()


def test_trial_results_do_not_depend_on_order() -> None:
    experiment = get_experiment("synthetic-snr")
    settings = resolve(
        experiment, config={**TINY, "algorithms": ["svd-krosbl", "oracle-ls"]}
    ).settings
    tasks = [TrialTask("synthetic-snr", settings, t) for t in (2, 0, 1)]
    forward = {t.trial: execute_trial(t).drop(columns="time_s") for t in tasks}
    backward = {t.trial: execute_trial(t).drop(columns="time_s") for t in reversed(tasks)}
    for t in forward:
        pd.testing.assert_frame_equal(forward[t], backward[t], check_exact=True)
    assert not forward[0]["nmse"].equals(forward[1]["nmse"])


def test_trial_seed_is_the_spawned_child() -> None:
    children = np.random.SeedSequence(42).spawn(10)
    for t in (0, 3, 9):
        np.testing.assert_array_equal(
            trial_seed_sequence(42, t).generate_state(4), children[t].generate_state(4)
        )
    ctx = TrialContext(
        get_experiment("synthetic-snr"),
        resolve(get_experiment("synthetic-snr")).settings,
        3,
        trial_seed_sequence(42, 3),
    )
    first = [g.random() for g in ctx.generators(2)]
    assert first == [g.random() for g in ctx.generators(2)]  # pure: same generators again
    assert first == [np.random.default_rng(c).random() for c in children[3].spawn(2)]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_scheduler_fails_fast(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(ExperimentError, match="cannot connect to the Dask scheduler"):
        _run(tmp_path / "x", scheduler=f"tcp://127.0.0.1:{_closed_port()}", connect_timeout=2.0)
    assert time.monotonic() - start < 10


def test_workers_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="workers"):
        _run(tmp_path / "x", workers=0)


def _finished(task: TrialTask, error: Exception | None = None) -> Future[pd.DataFrame]:
    future: Future[pd.DataFrame] = Future()
    if error is None:
        future.set_result(pd.DataFrame({"trial": [task.trial]}))
    else:
        future.set_exception(error)
    return future


def _interrupted_after(first: Future[pd.DataFrame]) -> Iterator[Future[pd.DataFrame]]:
    yield first
    raise KeyboardInterrupt


@pytest.mark.parametrize("stop", ["failed trial", "interrupt"])
def test_finished_trials_are_handed_over_before_a_failure_or_interrupt(stop: str) -> None:
    settings = resolve(get_experiment("synthetic-snr"), quick=True).settings
    tasks = [TrialTask("synthetic-snr", settings, t) for t in range(4)]
    running: Future[pd.DataFrame] = Future()
    futures = {
        _finished(tasks[0]): tasks[0],
        _finished(tasks[1], ValueError("boom")): tasks[1],
        _finished(tasks[2]): tasks[2],
        running: tasks[3],
    }
    first, failed = list(futures)[:2]
    order = [first, failed] if stop == "failed trial" else _interrupted_after(first)
    handed: list[int] = []
    expected = TrialError if stop == "failed trial" else KeyboardInterrupt

    def store(task: TrialTask, frame: pd.DataFrame) -> None:
        assert frame["trial"].tolist() == [task.trial]
        handed.append(task.trial)

    with pytest.raises(expected) as info:
        store_as_completed(futures, order, store)
    # trial 2 finished before the stop and is handed over; 1 failed, 3 is still running
    assert handed == [0, 2]
    if stop == "failed trial":
        assert "trial 1 of synthetic-snr failed: ValueError: boom" in str(info.value)


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt, as in a terminal, even when the tests run as a
    background job (which starts with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_an_interrupt_while_storing_still_stores_every_finished_trial() -> None:
    settings = resolve(get_experiment("synthetic-snr"), quick=True).settings
    tasks = [TrialTask("synthetic-snr", settings, t) for t in range(3)]
    running: Future[pd.DataFrame] = Future()
    futures = {_finished(tasks[0]): tasks[0], _finished(tasks[1]): tasks[1], running: tasks[2]}
    attempts: list[int] = []
    written: list[int] = []

    def store(task: TrialTask, frame: pd.DataFrame) -> None:
        attempts.append(task.trial)
        if attempts == [0]:  # a real Ctrl-C, delivered while trial 0 is being written
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        written.append(task.trial)

    with pytest.raises(KeyboardInterrupt):
        store_as_completed(futures, iter(list(futures)[:1]), store)
    # trial 0 is written whole on a second attempt, trial 1 had finished; 2 is still running
    assert written == [0, 1]


def test_a_worker_interrupted_by_the_same_ctrl_c_does_not_stop_the_hand_over() -> None:
    settings = resolve(get_experiment("synthetic-snr"), quick=True).settings
    tasks = [TrialTask("synthetic-snr", settings, t) for t in range(3)]
    interrupted: Future[pd.DataFrame] = Future()
    interrupted.set_exception(KeyboardInterrupt())  # a pool worker's trial hit by Ctrl-C
    futures = {_finished(tasks[0]): tasks[0], interrupted: tasks[1], _finished(tasks[2]): tasks[2]}
    handed: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        store_as_completed(futures, list(futures), lambda task, _: handed.append(task.trial))
    assert handed == [0, 2]


def test_a_trial_whose_dask_workers_died_is_reported_lost_not_failed() -> None:
    import distributed

    settings = resolve(get_experiment("synthetic-snr"), quick=True).settings
    tasks = [TrialTask("synthetic-snr", settings, t) for t in range(2)]
    lost = _finished(tasks[1], distributed.KilledWorker("execute_trial-1", "tcp://w:1", 3))
    futures = {_finished(tasks[0]): tasks[0], lost: tasks[1]}
    handed: list[int] = []
    with pytest.raises(ClusterError, match="trial 1 of synthetic-snr was lost") as info:
        store_as_completed(futures, list(futures), lambda task, _: handed.append(task.trial))
    assert isinstance(info.value, TrialError) and "KilledWorker" in str(info.value)
    assert handed == [0]
