"""Where trials run: in this process, in a process pool, or on a Dask cluster.

All three run :func:`execute_trial` on :class:`TrialTask` records and hand each finished trial
to the caller's ``store(task, rows)`` as it completes.  A trial's randomness depends only on
``(seed, trial)`` and every trial runs with one BLAS thread, so the results do not depend on
the executor, the number of workers or the completion order.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd

from .config import ExperimentSettings
from .definitions import TrialContext
from .errors import ClusterError, ExperimentError, TrialError
from .registry import get_experiment
from .storage import to_frame

__all__ = [
    "CONNECT_TIMEOUT",
    "WORKER_TIMEOUT",
    "Store",
    "TrialTask",
    "execute_trial",
    "run_trials",
    "store_as_completed",
    "trial_seed_sequence",
]

#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 5.0

#: Seconds a Dask run waits while its cluster has no worker before it stops.
WORKER_TIMEOUT = 60.0

#: Seconds between two looks at a Dask run's finished trials, and between two counts of its
#: workers.
_POLL_S, _COUNT_WORKERS_S = 0.05, 1.0


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


def _trials(tasks: Iterable[TrialTask]) -> str:
    """``"trials 3, 5 and 8"`` (the first ten, then how many more)."""
    numbers = sorted(t.trial for t in tasks)
    shown = [str(n) for n in numbers[:10]]
    if len(numbers) > 10:
        shown.append(f"{len(numbers) - 10} more")
    text = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    return f"trial{'s' if len(numbers) > 1 else ''} {text}"


def _trial_error(task: TrialTask, exc: BaseException) -> TrialError:
    """The error a failed trial raises in the driver; a trial whose Dask workers died while
    running it (``distributed.KilledWorker``) was lost with them, not failed."""
    if type(exc).__name__ == "KilledWorker":
        return ClusterError(
            f"trial {task.trial} of {task.experiment} was lost: the Dask workers running it "
            "died (KilledWorker)"
        )
    return TrialError(
        f"trial {task.trial} of {task.experiment} failed: {type(exc).__name__}: {exc}"
    )


def store_as_completed(
    futures: Mapping[Any, TrialTask], order: Iterable[Any], store: Store
) -> None:
    """Call ``store(task, rows)`` for each future in ``order`` (e.g. ``as_completed(futures)``).

    When a trial fails (:class:`TrialError`), the driver is interrupted, also while storing, or
    ``order`` raises, every finished trial not stored yet is stored before the error
    propagates: only trials still running are lost. ``futures`` maps ``concurrent.futures``
    or Dask futures to tasks.
    """
    stored: set[Any] = set()
    try:
        for future in order:
            task = futures[future]
            try:
                frame = future.result()
            except Exception as exc:
                raise _trial_error(task, exc) from exc
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


def _dask_completed(
    client: Any, futures: Mapping[Any, TrialTask], worker_timeout: float
) -> Iterator[Any]:
    """Yield Dask ``futures`` as they finish (whatever the client's default status); once
    the caller has taken one, it is cancelled, so the cluster drops its result.

    Raises
    ------
    ClusterError
        The cluster has had no worker (or answered no count) for ``worker_timeout`` seconds;
        it names the trials not finished.
    """
    from distributed import as_completed as dask_as_completed

    completed = dask_as_completed(list(futures), loop=client.loop)
    handed: set[Any] = set()
    counted, alone_since = -math.inf, None
    while not completed.is_empty():
        if completed.has_ready():
            future = next(completed)
            yield future
            handed.add(future)
            # stored: let the cluster forget it, or a lost worker's results are computed again
            client.cancel([future])
            continue
        now = time.monotonic()
        if now - counted >= _COUNT_WORKERS_S:
            counted = now
            try:
                has_workers = bool(client.nthreads())
            except Exception:  # the scheduler is gone too
                has_workers = False
            alone_since = None if has_workers else (alone_since or now)
        if alone_since is not None and now - alone_since >= worker_timeout:
            lost = [task for future, task in futures.items() if future not in handed]
            raise ClusterError(
                f"the Dask cluster at {client.scheduler.address} has had no worker for "
                f"{worker_timeout:g} s; {_trials(lost)} did not finish"
            )
        time.sleep(_POLL_S)


def _on_dask(tasks: Sequence[TrialTask], store: Store, client: Any, worker_timeout: float) -> None:
    futures = {client.submit(execute_trial, task, pure=False): task for task in tasks}
    try:
        store_as_completed(futures, _dask_completed(client, futures, worker_timeout), store)
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
    worker_timeout: float = WORKER_TIMEOUT,
) -> None:
    """Run ``tasks`` and call ``store(task, rows)`` here for each as it completes.

    Where: on the Dask ``client`` (left open), else on a Dask ``scheduler`` address (connected
    within ``timeout`` seconds, else an :class:`ExperimentError`), else in this process
    (``workers=1``) or a pool of ``workers`` spawned processes.  A failed trial raises a
    :class:`TrialError` after the trials finished before it are stored.  On Dask, a worker
    lost mid-run is replaced by the others (the scheduler runs its trials again); a trial
    whose workers keep dying, or a cluster left without a worker for ``worker_timeout``
    seconds, raises a :class:`ClusterError` naming the trials not finished.
    """
    if client is None and scheduler is None:
        if workers == 1:
            return _in_process(tasks, store)
        return _in_pool(tasks, store, workers)
    if client is not None:
        return _on_dask(tasks, store, client, worker_timeout)
    from distributed import Client

    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExperimentError(
            f"cannot connect to the Dask scheduler at {scheduler!r} within {timeout:g} s: {exc}"
        ) from None
    try:
        _on_dask(tasks, store, client, worker_timeout)
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=timeout)
