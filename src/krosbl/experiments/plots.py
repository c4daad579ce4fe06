"""Figures from stored results (PNG and PDF beside the Parquet parts).

Only the files in the output folder are read, so ``krosbl plot DIR`` redraws the figures of
any finished or partial run.  Figures are drawn with matplotlib's Agg renderer through
:class:`matplotlib.figure.Figure` (no pyplot, no global backend change).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .definitions import Experiment
from .errors import ExperimentError
from .registry import get_experiment
from .storage import ResultStore
from .summary import summarize

__all__ = ["plot_results"]

_HISTORIES = {
    "nmse_path": ("NMSE of the E-step mean", True),
    "cost_path": ("cost L(γ)", False),
}


def _plotted(experiment: Experiment, results: pd.DataFrame) -> list[str]:
    present = set(results["algorithm"])
    return [a.name for a in experiment.algorithms if a.plotted and a.name in present]


def _sweep_figures(
    experiment: Experiment, results: pd.DataFrame, settings: Mapping[str, Any]
) -> dict[str, Figure]:
    summary = summarize(results, [m.column for m in experiment.metrics])
    figures = {}
    for metric in experiment.metrics:
        if f"{metric.column}_mean" not in summary:
            continue
        fig = Figure(figsize=(5.0, 3.8), layout="constrained")
        ax = fig.add_subplot()
        for name in _plotted(experiment, results):
            rows = summary[summary["algorithm"] == name].sort_values("value")
            x = np.array(
                [experiment.plot_x(v, settings) if experiment.plot_x else v for v in rows["value"]]
            )
            mean = rows[f"{metric.column}_mean"].to_numpy(float)
            lo = rows[f"{metric.column}_lo"].to_numpy(float)
            hi = rows[f"{metric.column}_hi"].to_numpy(float)
            if metric.log:  # zeros (e.g. no symbol errors) end the line instead of diving
                mean = np.where(mean > 0, mean, np.nan)
            (line,) = ax.plot(x, mean, marker="o", label=name)
            ok = np.isfinite(lo) & np.isfinite(hi) & ((lo > 0) | (not metric.log))
            if ok.any():
                ax.fill_between(x[ok], lo[ok], hi[ok], color=line.get_color(), alpha=0.15, lw=0)
        if metric.log:
            ax.set_yscale("log")
        _finish(ax, experiment, experiment.axis_label, metric.label, results)
        figures[metric.column] = fig
    return figures


def _mean_path(paths: Sequence[Any]) -> np.ndarray:
    arrays = [np.asarray(p, dtype=float) for p in paths if p is not None]
    if not arrays:
        return np.array([])
    out = np.full((len(arrays), max(a.size for a in arrays)), np.nan)
    for i, a in enumerate(arrays):
        out[i, : a.size] = a
    with np.errstate(all="ignore"):
        return np.asarray(np.nanmean(out, axis=0))


def _history_figures(experiment: Experiment, results: pd.DataFrame) -> dict[str, Figure]:
    figures = {}
    values = sorted(results["value"].unique())
    for column, (label, log) in _HISTORIES.items():
        if column not in results:
            continue
        fig = Figure(figsize=(4.6 * len(values), 3.8), layout="constrained")
        axes = fig.subplots(1, len(values), squeeze=False)[0]
        for ax, value in zip(axes, values, strict=True):
            at_value = results[results["value"] == value]
            for name in _plotted(experiment, at_value):
                path = _mean_path(list(at_value.loc[at_value["algorithm"] == name, column]))
                if path.size:
                    ax.plot(np.arange(1, path.size + 1), path, label=name)
            ax.set_xscale("log")
            if log:
                ax.set_yscale("log")
            ax.set_title(experiment.value_label(float(value)))
            _finish(ax, experiment, "iteration", label, at_value)
        figures[column.removesuffix("_path") + "_history"] = fig
    return figures


def _finish(ax: Axes, experiment: Experiment, xlabel: str, ylabel: str, rows: pd.DataFrame) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    trials = rows["trial"].nunique()
    ax.figure.suptitle(f"{experiment.name} ({trials} trial{'s' if trials != 1 else ''})")


def plot_results(directory: str | Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Draw an output folder's figures from its stored results.

    Parameters
    ----------
    directory : path
        An output folder of :func:`krosbl.experiments.run_experiment`.
    formats : sequence of str
        File formats to write.

    Returns
    -------
    list of Path
        The files written (``<metric>.png``/``.pdf``; ``nmse_history.*`` and
        ``cost_history.*`` for the convergence experiments).

    Raises
    ------
    ExperimentError
        If the folder holds no results.
    """
    store = ResultStore(directory)
    results = store.load()
    manifest = store.read_manifest() or {}
    if results.empty:
        raise ExperimentError(f"{str(directory)!r} holds no finished trials yet")
    experiment = get_experiment(str(manifest.get("experiment")))
    settings = manifest.get("config", {}).get("settings", {})
    if experiment.kind == "history":
        figures = _history_figures(experiment, results)
    else:
        figures = _sweep_figures(experiment, results, settings)
    written = []
    for stem, fig in figures.items():
        for fmt in formats:
            path = store.root / f"{stem}.{fmt}"
            fig.savefig(path, format=fmt)
            written.append(path)
    return written
