"""Where trials run: in this process, in a process pool, or on a Dask cluster.

All three run :func:`execute_trial` on :class:`TrialTask` records and hand each finished trial
to the caller's ``store(task, rows)`` as it completes.  A trial's randomness depends only on
``(seed, trial)`` and every trial runs with one BLAS thread, so the results do not depend on
the executor, the number of workers or the completion order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd

from .config import ExperimentSettings
from .definitions import TrialContext
from .errors import ExperimentError, TrialError
from .registry import get_experiment
from .storage import to_frame

__all__ = [
    "CONNECT_TIMEOUT",
    "Store",
    "TrialTask",
    "execute_trial",
    "run_trials",
    "store_as_completed",
    "trial_seed_sequence",
]

#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class TrialTask:
    """One unit of work: trial ``trial`` of ``experiment`` under ``settings``."""

    experiment: str
    settings: ExperimentSettings
    trial: int


#: ``store(task, rows)``: what the driver does with each finished trial.
Store = Callable[[TrialTask, pd.DataFrame], None]


def trial_seed_sequence(seed: int, trial: int) -> np.random.SeedSequence:
    """The seed sequence of trial ``trial``: ``SeedSequence(seed).spawn(n)[trial]``, any ``n``."""
    return np.random.SeedSequence(seed, spawn_key=(trial,))


def execute_trial(task: TrialTask) -> pd.DataFrame:
    """Run one trial with one BLAS thread; its rows with the standard columns (worker side)."""
    from threadpoolctl import threadpool_limits

    experiment = get_experiment(task.experiment)
    seeds = trial_seed_sequence(task.settings.seed, task.trial)
    with threadpool_limits(limits=1):
        rows = experiment.trial_function(TrialContext(experiment, task.settings, task.trial, seeds))
    for row in rows:
        row.update(
            experiment=experiment.name,
            trial=task.trial,
            seed=task.settings.seed,
            param=experiment.axis,
        )
    return to_frame(rows)


def store_as_completed(
    futures: Mapping[Any, TrialTask], order: Iterable[Any], store: Store
) -> None:
    """Call ``store(task, rows)`` for each future in ``order`` (e.g. ``as_completed(futures)``).

    When a trial fails (:class:`TrialError`) or the driver is interrupted, also while storing,
    every finished trial not stored yet is stored before the error propagates: only trials
    still running are lost. ``futures`` maps ``concurrent.futures`` or Dask futures to tasks.
    """
    stored: set[Any] = set()
    try:
        for future in order:
            task = futures[future]
            try:
                frame = future.result()
            except Exception as exc:
                raise TrialError(
                    f"trial {task.trial} of {task.experiment} failed: {type(exc).__name__}: {exc}"
                ) from exc
            store(task, frame)
            stored.add(future)
    except BaseException:
        for future, task in futures.items():
            # a worker's own Ctrl-C comes back as its trial's KeyboardInterrupt: skip, not raise
            finished = future.done() and not future.cancelled() and future.exception() is None
            if finished and future not in stored:
                with contextlib.suppress(Exception):
                    store(task, future.result())
        raise


def _in_process(tasks: Sequence[TrialTask], store: Store) -> None:
    futures: dict[Future[pd.DataFrame], TrialTask] = {}

    def run() -> Iterator[Future[pd.DataFrame]]:
        for task in tasks:
            future: Future[pd.DataFrame] = Future()
            futures[future] = task
            try:
                future.set_result(execute_trial(task))
            except Exception as exc:
                future.set_exception(exc)
            yield future

    store_as_completed(futures, run(), store)


def _in_pool(tasks: Sequence[TrialTask], store: Store, workers: int) -> None:
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
    try:
        futures = {pool.submit(execute_trial, task): task for task in tasks}
        store_as_completed(futures, as_completed(futures), store)
    except BaseException:
        # Stop the trials still running now: the pool has no public way to (Python < 3.14).
        running = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in running:
            process.terminate()
        raise
    pool.shutdown()


def _on_dask(tasks: Sequence[TrialTask], store: Store, client: Any) -> None:
    from distributed import as_completed as dask_as_completed

    futures = {client.submit(execute_trial, task, pure=False): task for task in tasks}
    try:
        store_as_completed(futures, dask_as_completed(list(futures)), store)
    finally:
        with contextlib.suppress(Exception):  # on a shared cluster, run nothing more for us
            client.cancel([f for f in futures if not f.done()])


def run_trials(
    tasks: Sequence[TrialTask],
    store: Store,
    *,
    workers: int = 1,
    client: Any = None,
    scheduler: str | None = None,
    timeout: float = CONNECT_TIMEOUT,
) -> None:
    """Run ``tasks`` and call ``store(task, rows)`` here for each as it completes.

    Where: on the Dask ``client`` (left open), else on a Dask ``scheduler`` address (connected
    within ``timeout`` seconds, else an :class:`ExperimentError`), else in this process
    (``workers=1``) or a pool of ``workers`` spawned processes.  A failed trial raises a
    :class:`TrialError` after the trials finished before it are stored.
    """
    if client is None and scheduler is None:
        if workers == 1:
            return _in_process(tasks, store)
        return _in_pool(tasks, store, workers)
    if client is not None:
        return _on_dask(tasks, store, client)
    from distributed import Client

    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExperimentError(
            f"cannot connect to the Dask scheduler at {scheduler!r} within {timeout:g} s: {exc}"
        ) from None
    try:
        _on_dask(tasks, store, client)
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=timeout)
