"""Where trials run: in this process, in a process pool, or on a Dask cluster.

Every executor runs the same function, :func:`execute_trial`, on the same
:class:`TrialTask` records and yields ``(task, table)`` pairs as trials complete; the driver
writes them.  A trial's randomness depends only on ``(seed, trial)``
(``SeedSequence(seed).spawn(...)[trial]``) and every trial runs with one BLAS thread, so the
results do not depend on the executor, the number of workers or the completion order.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from types import TracebackType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .config import ExperimentSettings
from .definitions import TrialContext
from .errors import ExperimentError, TrialError
from .registry import get_experiment
from .storage import to_frame

__all__ = [
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "TrialTask",
    "execute_trial",
    "finished_after",
    "make_executor",
    "trial_seed_sequence",
    "yield_completed",
]

#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class TrialTask:
    """One unit of work: trial ``trial`` of ``experiment`` under ``settings``."""

    experiment: str
    settings: ExperimentSettings
    trial: int


#: What an executor's ``run`` returns: ``(task, rows)`` of each trial as it completes.
Completed = Generator[tuple[TrialTask, pd.DataFrame], None, None]


def trial_seed_sequence(seed: int, trial: int) -> np.random.SeedSequence:
    """The seed sequence of trial ``trial``: ``SeedSequence(seed).spawn(n)[trial]``, any ``n``.

    Built directly from the spawn key, so it does not depend on how many trials there are.
    """
    return np.random.SeedSequence(seed, spawn_key=(trial,))


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Limit BLAS/OpenMP to one thread (bit-identical results whatever the executor)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with the test extras
        yield
        return
    with threadpool_limits(limits=1):
        yield


def execute_trial(task: TrialTask) -> pd.DataFrame:
    """Run one trial and return its rows (the worker-side entry point).

    Parameters
    ----------
    task : TrialTask
        What to run.

    Returns
    -------
    pandas.DataFrame
        The trial's rows with the standard columns (:data:`~.storage.COLUMNS`).
    """
    experiment = get_experiment(task.experiment)
    ctx = TrialContext(
        experiment=experiment,
        settings=task.settings,
        trial=task.trial,
        seed_sequence=trial_seed_sequence(task.settings.seed, task.trial),
    )
    with _one_blas_thread():
        rows = experiment.trial_function(ctx)
    for row in rows:
        row.update(
            experiment=experiment.name,
            trial=task.trial,
            seed=task.settings.seed,
            param=experiment.axis,
        )
    return to_frame(rows)


def _failed(task: TrialTask, exc: BaseException) -> TrialError:
    error = TrialError(
        f"trial {task.trial} of {task.experiment} failed: {type(exc).__name__}: {exc}"
    )
    error.__cause__ = exc
    return error


def yield_completed(
    futures: Mapping[Any, TrialTask],
    order: Iterable[Any],
    after: Callable[[Any], None] | None = None,
) -> Completed:
    """Yield ``(task, rows)`` of each future in ``order`` (as they complete).

    On a failed trial or an interrupt, every other trial that has already finished is
    yielded (so the driver stores it) before the error propagates: only trials still running
    are lost.

    Parameters
    ----------
    futures : mapping of future to TrialTask
        ``concurrent.futures`` or Dask futures (``done``, ``cancelled``, ``result``).
    order : iterable of future
        The futures as they complete, e.g. ``as_completed(futures)``.
    after : callable, optional
        Called with each future once its rows have been consumed (Dask: release it).

    Raises
    ------
    TrialError
        The first failed trial, after the finished ones have been yielded.
    """
    yielded: set[Any] = set()

    def consume(future: Any) -> Completed:
        task = futures[future]
        try:
            frame = future.result()
        except Exception as exc:
            raise _failed(task, exc) from exc
        yielded.add(future)
        yield task, frame
        if after is not None:
            after(future)

    try:
        for future in order:
            yield from consume(future)
    except GeneratorExit:
        raise
    except BaseException:
        for future in futures:
            if future not in yielded and future.done() and not future.cancelled():
                with contextlib.suppress(Exception):
                    yield from consume(future)
        raise


def finished_after(completed: Completed, error: BaseException) -> Completed:
    """The trials that finished before ``error`` stopped the driver, then nothing.

    For a driver interrupted while it stored a trial: ``error`` is thrown into the executor's
    generator ``completed``, which (:func:`yield_completed`) hands over every finished trial
    before re-raising it; the re-raised ``error`` ends this iterator instead of propagating.

    Parameters
    ----------
    completed : iterator of (TrialTask, DataFrame)
        What :meth:`Executor.run` returned, suspended at its last ``yield``.
    error : BaseException
        What stopped the driver (the caller re-raises it afterwards).

    Returns
    -------
    iterator of (TrialTask, DataFrame)
    """
    try:
        item = completed.throw(error)
        while True:
            yield item
            item = next(completed)
    except StopIteration:
        return
    except BaseException as raised:
        if raised is not error:
            raise


class Executor(Protocol):
    """Runs trials and yields ``(task, rows)`` as each completes."""

    def __enter__(self) -> Executor: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def run(self, tasks: Sequence[TrialTask]) -> Completed:
        """Run ``tasks``; yield each as it completes (order not guaranteed)."""
        ...


class SerialExecutor:
    """Runs trials one after the other in this process (``--workers 1``)."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def run(self, tasks: Sequence[TrialTask]) -> Completed:
        """Run ``tasks`` in order."""
        for task in tasks:
            try:
                frame = execute_trial(task)
            except Exception as exc:
                raise _failed(task, exc) from exc
            yield task, frame


class ProcessExecutor:
    """Runs trials on a :class:`~concurrent.futures.ProcessPoolExecutor` (``--workers N``).

    Parameters
    ----------
    workers : int
        Number of worker processes (started with the ``spawn`` method).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kind is None:
            pool.shutdown(wait=True)
            return
        # Failure or interrupt: drop queued trials and stop the running ones now.
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()

    def run(self, tasks: Sequence[TrialTask]) -> Completed:
        """Submit every task and yield them as they complete."""
        if self._pool is None:
            raise RuntimeError("use ProcessExecutor as a context manager")
        futures: dict[Future[pd.DataFrame], TrialTask] = {
            self._pool.submit(execute_trial, task): task for task in tasks
        }
        yield from yield_completed(futures, as_completed(futures))


class DaskExecutor:
    """Runs trials on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client or None
        An existing client (left open on exit).
    address : str or None
        Scheduler address, e.g. ``"tcp://host:8786"``, used when ``client`` is ``None``.
    timeout : float
        Seconds to wait for the scheduler; an unreachable one is an :class:`ExperimentError`.
    """

    def __init__(
        self, client: Any = None, address: str | None = None, timeout: float = CONNECT_TIMEOUT
    ) -> None:
        if client is None and address is None:
            raise ValueError("DaskExecutor needs a client or a scheduler address")
        self.address = address
        self.timeout = timeout
        self.client = client
        self._owned = client is None

    def __enter__(self) -> DaskExecutor:
        if self.client is None:
            from distributed import Client

            try:
                self.client = Client(self.address, timeout=self.timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExperimentError(
                    f"cannot connect to the Dask scheduler at {self.address!r} within "
                    f"{self.timeout:g} s: {exc}"
                ) from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._owned and self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close(timeout=self.timeout)
            self.client = None

    def run(self, tasks: Sequence[TrialTask]) -> Completed:
        """Submit every task and yield them as they complete."""
        from distributed import as_completed as dask_as_completed

        client = self.client
        futures = {
            client.submit(
                execute_trial,
                task,
                pure=False,
                key=f"krosbl-{task.experiment}-trial-{task.trial}-{uuid.uuid4().hex[:8]}",
            ): task
            for task in tasks
        }
        try:
            yield from yield_completed(
                futures, dask_as_completed(list(futures)), after=lambda f: f.release()
            )
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                with contextlib.suppress(Exception):
                    client.cancel(pending)


def make_executor(
    workers: int = 1,
    *,
    client: Any = None,
    scheduler: str | None = None,
    timeout: float = CONNECT_TIMEOUT,
) -> Executor:
    """Choose the executor: Dask (``client`` or ``scheduler``), a process pool, or serial.

    Raises
    ------
    ExperimentError
        If ``workers < 1``.
    """
    if client is not None or scheduler is not None:
        return DaskExecutor(client=client, address=scheduler, timeout=timeout)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ExperimentError(f"workers must be a positive integer, got {workers!r}")
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)
