"""The ``paper`` case: the time of ``krosbl run all --paper``, extrapolated from a few trials.

Running the whole paper takes far longer than a benchmark should, so each experiment runs its
first trials at the paper's settings, in this process, one BLAS thread, exactly as a worker
runs them (:func:`krosbl.experiments.executors.execute_trial`); the estimate is the median
time of a trial times the trials each worker runs, ``⌈trials / workers⌉`` (a single trial
runs on one worker). Storage, start-up and plotting are not counted.
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Any

from .measure import Row

__all__ = ["PAPER_WORKERS", "TOTAL", "measure_paper"]

#: Workers the estimate divides by (``krosbl run all --paper --workers 2``).
PAPER_WORKERS = 2

#: Problem name of the row that adds up the experiments' estimates.
TOTAL = "total"


def measure_paper(
    case: str, *, quick: bool, repeat: int, budget_s: float
) -> tuple[list[dict[str, Any]], list[Row]]:
    """Time the first ``repeat`` trials of every experiment and extrapolate to the paper.

    Parameters
    ----------
    case : str
        The case name for the rows.
    quick : bool
        Time the ``--quick`` settings instead (the estimate is then of ``run all --quick``).
    repeat : int
        Trials timed per experiment (fewer once their total exceeds ``budget_s``).
    budget_s : float
        Per-experiment time budget.

    Returns
    -------
    problems : list of dict
        Each experiment's name, paper trial count and settings, for the report.
    rows : list of Row
        One per experiment: ``time_s`` the median time of a trial, extras ``trials``
        (the paper's trial count) and ``estimate_s`` (``⌈trials / PAPER_WORKERS⌉ × time_s``);
        then the :data:`TOTAL` row with the summed estimate.
    """
    from krosbl.experiments.config import resolve
    from krosbl.experiments.executors import TrialTask, execute_trial
    from krosbl.experiments.registry import list_experiments

    rows, infos = [], []
    for experiment in list_experiments():
        resolved = resolve(experiment, quick=quick, paper=not quick)
        infos.append(
            {
                "name": experiment.name,
                "trials": resolved.trials,
                "settings": resolved.settings.model_dump(mode="json"),
            }
        )
        times: list[float] = []
        for trial in range(min(repeat, resolved.trials)):
            if times and sum(times) >= budget_s:
                break
            start = time.perf_counter()
            execute_trial(TrialTask(experiment.name, resolved.settings, trial))
            times.append(time.perf_counter() - start)
        per_trial = statistics.median(times)
        extra = {
            "trials": resolved.trials,
            "estimate_s": math.ceil(resolved.trials / PAPER_WORKERS) * per_trial,
        }
        rows.append(Row(case, experiment.name, "run", per_trial, None, len(times), extra=extra))
    total = sum(r.extra["estimate_s"] for r in rows)
    rows.append(Row(case, TOTAL, "run all --paper", extra={"estimate_s": total}))
    return infos, rows
