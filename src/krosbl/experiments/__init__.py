"""Reproduce the paper's experiments: definitions, runner, storage, summaries and plots.

Examples
--------
>>> from krosbl import experiments
>>> [e.name for e in experiments.list_experiments()][:2]
['synthetic-snr', 'synthetic-measurements']

Run a sweep (resumable; results under ``out``) and summarise it::

    df = experiments.run_experiment("synthetic-snr", trials=20, out="results/snr", workers=2)
    experiments.summarize(df)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .definitions import Algorithm, Experiment, Metric, TrialContext, TrialCounts
from .errors import ClusterError, ConfigError, ExperimentError, StorageError, TrialError

if TYPE_CHECKING:
    from .plots import plot_results
    from .registry import EXPERIMENTS, get_experiment, list_experiments
    from .runner import run_experiment
    from .storage import load_results
    from .summary import summarize

# The registry (pydantic settings models), runner, storage, summaries and plots need the
# ``experiments`` extra; they are imported on first use so that the CLI can be built, and
# ``krosbl list`` run, on a base install.
_LAZY = {
    "EXPERIMENTS": ".registry",
    "get_experiment": ".registry",
    "list_experiments": ".registry",
    "plot_results": ".plots",
    "run_experiment": ".runner",
    "load_results": ".storage",
    "summarize": ".summary",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXPERIMENTS",
    "Algorithm",
    "ClusterError",
    "ConfigError",
    "Experiment",
    "ExperimentError",
    "Metric",
    "StorageError",
    "TrialContext",
    "TrialCounts",
    "TrialError",
    "get_experiment",
    "list_experiments",
    "load_results",
    "plot_results",
    "run_experiment",
    "summarize",
]
