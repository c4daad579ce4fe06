"""Run an experiment: resolve settings, skip stored trials, execute the rest, store, plot."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .config import ExperimentSettings, fingerprint, fingerprint_payload, resolve
from .errors import ExperimentError, StorageError
from .executors import CONNECT_TIMEOUT, WORKER_TIMEOUT, TrialTask, run_trials
from .progress import ProgressMode, check_progress, reporter
from .registry import get_experiment
from .storage import ResultStore

__all__ = ["default_out", "default_workers", "run_experiment"]

log = logging.getLogger("krosbl.experiments")


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
    worker_timeout: float = WORKER_TIMEOUT,
) -> pd.DataFrame:
    """Run (or resume) an experiment and return its results.

    Each trial is written to ``out/parts/trial-NNNNNN.parquet`` as soon as it finishes; a
    re-run with the same settings computes only the missing trials, so an interrupted run
    resumes where it stopped.  The results do not depend on the executor.

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
    worker_timeout : float
        Seconds a Dask run waits while its cluster has no worker before it stops with a
        :class:`ClusterError`.

    Returns
    -------
    pandas.DataFrame
        The rows of trials ``0 .. trials-1``, one per (trial, algorithm, sweep value).

    Raises
    ------
    ExperimentError
        Unknown experiment, invalid settings, ``workers < 1``, unwritable ``out``, ``out``
        holding other files or another configuration's results, another run writing into
        ``out``, or an unreachable scheduler.
    StorageError
        A result could not be written, e.g. the disk is full (an :class:`ExperimentError`;
        every trial stored before it is kept, none partly).
    TrialError
        A trial failed (every trial finished before the failure is stored).
    ClusterError
        Trials were lost with their Dask workers, or the cluster had no worker for
        ``worker_timeout`` seconds (a :class:`TrialError`; re-running resumes).
    ValueError
        ``progress`` is not one of its modes.
    """
    check_progress(progress)
    experiment = get_experiment(name)
    resolved = resolve(
        experiment, config=config, quick=quick, paper=paper, trials=trials, seed=seed
    )
    workers = default_workers() if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ExperimentError(f"workers must be a positive integer, got {workers!r}")
    payload = fingerprint_payload(resolved)
    store = ResultStore(out if out is not None else default_out(name, quick))
    store.prepare(payload, fingerprint(payload))
    with store.lock():
        missing = _missing_trials(store, name, resolved.trials)
        if missing:
            stored = resolved.trials - len(missing)
            with reporter(progress, name, resolved.trials, stored) as advance:

                def keep(task: TrialTask, frame: pd.DataFrame) -> None:
                    store.write_trial(task.trial, frame)
                    advance(task.trial)

                run_trials(
                    [TrialTask(name, resolved.settings, t) for t in missing],
                    keep,
                    workers=workers,
                    client=client,
                    scheduler=scheduler,
                    timeout=connect_timeout,
                    worker_timeout=worker_timeout,
                )
    results = store.load(range(resolved.trials))
    if plot:
        _plot(store)
    return results


def _missing_trials(store: ResultStore, name: str, n_trials: int) -> list[int]:
    """The trials of ``0 .. n_trials-1`` not yet in ``store`` (logging how many are)."""
    done = store.completed()
    missing = [t for t in range(n_trials) if t not in done]
    stored = n_trials - len(missing)
    if stored:
        log.info(
            "%s: %d of %d trials already stored in %s; computing %d",
            *(name, stored, n_trials, store.root, len(missing)),
        )
    return missing


def _plot(store: ResultStore) -> None:
    """Write the figures of the stored results; a failure to write them says that every
    trial is stored and how to plot them later."""
    from .plots import plot_results

    try:
        plot_results(store.root)
    except StorageError as exc:
        raise StorageError(
            f"every trial is stored in {str(store.root)!r}, but {exc}; free space or fix "
            f"that, then run 'krosbl plot {store.root}'"
        ) from None
