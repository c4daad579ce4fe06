"""Run an experiment: resolve settings, skip stored trials, execute the rest, store, plot."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .config import (
    ExperimentSettings,
    added_at_default,
    fingerprint,
    fingerprint_payload,
    resolve,
)
from .executors import CONNECT_TIMEOUT, TrialTask, finished_after, make_executor
from .progress import ProgressMode, Reporter, check_progress, make_reporter
from .registry import get_experiment
from .storage import ResultStore

__all__ = ["default_out", "default_workers", "run_experiment"]

log = logging.getLogger("krosbl.experiments")


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back until the block ends, then raise it (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _store(store: ResultStore, reporter: Reporter, task: TrialTask, frame: pd.DataFrame) -> None:
    """Write one finished trial whole: a Ctrl-C during the write takes effect after it."""
    with _sigint_deferred():
        store.write_trial(task.trial, frame)
    reporter.advance(task.trial)


def default_out(name: str, quick: bool = False) -> Path:
    """Default output folder: ``results/<name>`` (``results/<name>-quick`` for ``--quick``)."""
    return Path("results") / (f"{name}-quick" if quick else name)


def default_workers() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_experiment(
    name: str,
    trials: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    client: Any = None,
    config: str | Path | Mapping[str, Any] | ExperimentSettings | None = None,
    quick: bool = False,
    progress: ProgressMode = True,
    *,
    paper: bool = False,
    scheduler: str | None = None,
    seed: int | None = None,
    plot: bool = True,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> pd.DataFrame:
    """Run (or resume) an experiment and return its results.

    Parameters
    ----------
    name : str
        Experiment name (see :func:`list_experiments`).
    trials : int, optional
        Number of trials; default the experiment's (``quick``/``paper`` pick theirs).
    out : path, optional
        Output folder; default ``results/<name>`` (``results/<name>-quick`` when ``quick``).
    workers : int, optional
        ``1``: run in this process; ``N > 1``: a pool of ``N`` processes. Default: the
        number of CPUs available. Ignored when ``client`` or ``scheduler`` is given.
    client : distributed.Client, optional
        Run on this Dask cluster (the client is left open).
    config : path, mapping or ExperimentSettings, optional
        Setting overrides: a TOML file or a mapping (validated; see
        :mod:`krosbl.experiments.config`).
    quick : bool
        The tiny version (small sizes, few trials) for CI.
    progress : bool or {"rich", "plain"}
        Progress display on stderr: a rich bar, plain log lines, or nothing.
    paper : bool
        Use the paper's trial count.
    scheduler : str, optional
        Address of a Dask scheduler, e.g. ``"tcp://host:8786"``.
    seed : int, optional
        Root seed (overrides ``config``).
    plot : bool
        Write the figures (PNG and PDF) into ``out`` at the end.
    connect_timeout : float
        Seconds to wait for the Dask scheduler.

    Returns
    -------
    pandas.DataFrame
        The rows of trials ``0 .. trials-1``, one per (trial, algorithm, sweep value).

    Raises
    ------
    ExperimentError
        Unknown experiment, invalid settings, unwritable ``out``, ``out`` holding another
        configuration's results, or an unreachable scheduler.
    TrialError
        A trial failed (every trial finished before the failure is stored).
    ValueError
        ``progress`` is not one of its modes.

    Notes
    -----
    Each trial is written to ``out/parts/trial-NNNNNN.parquet`` as soon as it finishes; a
    re-run with the same settings computes only the missing trials, so an interrupted run
    resumes where it stopped.  The results do not depend on the executor.
    """
    check_progress(progress)
    experiment = get_experiment(name)
    resolved = resolve(
        experiment, config=config, quick=quick, paper=paper, trials=trials, seed=seed
    )
    executor = make_executor(
        default_workers() if workers is None else workers,
        client=client,
        scheduler=scheduler,
        timeout=connect_timeout,
    )
    payload = fingerprint_payload(resolved)
    store = ResultStore(out if out is not None else default_out(name, quick))
    store.prepare(payload, fingerprint(payload), harmless=added_at_default)
    wanted = range(resolved.trials)
    with store.lock():
        done = store.completed()
        missing = [t for t in wanted if t not in done]
        stored = resolved.trials - len(missing)
        if stored:
            log.info(
                "%s: %d of %d trials already stored in %s; computing %d",
                name,
                stored,
                resolved.trials,
                store.root,
                len(missing),
            )
        if missing:
            tasks = [TrialTask(name, resolved.settings, t) for t in missing]
            with executor, make_reporter(progress, name, resolved.trials, stored) as reporter:
                completed = executor.run(tasks)
                try:
                    for task, frame in completed:
                        _store(store, reporter, task, frame)
                except KeyboardInterrupt as interrupt:
                    for task, frame in finished_after(completed, interrupt):
                        _store(store, reporter, task, frame)
                    raise
    results = store.load(wanted)
    if plot:
        from .plots import plot_results

        plot_results(store.root)
    return results
