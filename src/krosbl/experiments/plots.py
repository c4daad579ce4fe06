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
from matplotlib.lines import Line2D

from .definitions import Experiment, Metric
from .errors import ExperimentError, StorageError
from .registry import get_experiment
from .storage import ResultStore
from .summary import summarize

__all__ = ["plot_results"]


def _plotted(experiment: Experiment, results: pd.DataFrame) -> list[str]:
    present = set(results["algorithm"])
    return [a.name for a in experiment.algorithms if a.plotted and a.name in present]


def _conditions(experiment: Experiment, summary: pd.DataFrame) -> list[list[dict[str, Any]]]:
    """The panels of a sweep figure as rows of conditions (``[[{}]]`` without panels)."""
    columns = [c for c in experiment.panels if c in summary]
    if not columns:
        return [[{}]]
    first, rest = columns[0], columns[1:]
    combos = summary[rest].drop_duplicates().sort_values(rest) if rest else pd.DataFrame([{}])
    return [
        [{first: v, **combo} for combo in combos.to_dict("records")]
        for v in sorted(summary[first].unique())
    ]


def _sweep_figures(
    experiment: Experiment, results: pd.DataFrame, settings: Mapping[str, Any]
) -> dict[str, Figure]:
    references = [m.reference for m in experiment.metrics if m.reference]
    columns = dict.fromkeys([*(m.column for m in experiment.metrics), *references])
    summary = summarize(results, list(columns))
    grid = _conditions(experiment, summary)
    figures = {}
    for metric in experiment.metrics:
        if f"{metric.column}_{metric.statistic}" not in summary:
            continue
        n_rows, n_cols = len(grid), len(grid[0])
        fig = Figure(figsize=(1.0 + 4.0 * n_cols, 0.8 + 3.0 * n_rows), layout="constrained")
        axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True)
        for ax_row, conditions in zip(axes, grid, strict=True):
            for ax, condition in zip(ax_row, conditions, strict=True):
                mask = np.ones(len(summary), dtype=bool)
                for column, value in condition.items():
                    mask &= (summary[column] == value).to_numpy()
                _draw(ax, experiment, metric, summary[mask], settings)
                ax.set_title(
                    ", ".join(f"{experiment.panels[c]} = {v:g}" for c, v in condition.items())
                )
                _finish(ax, experiment, experiment.axis_label, metric.label, results)
        for ax in axes.flat[1:]:  # one legend: the panels share their curves
            ax.get_legend().remove()
        figures[metric.stem] = fig
    return figures


def _draw(
    ax: Axes,
    experiment: Experiment,
    metric: Metric,
    summary: pd.DataFrame,
    settings: Mapping[str, Any],
) -> None:
    """One panel: a curve per plotted algorithm (the mean with its interval, or a statistic)."""

    def x_of(values: Any) -> np.ndarray:
        return np.array(
            [experiment.plot_x(v, settings) if experiment.plot_x else v for v in values]
        )

    for name in _plotted(experiment, summary):
        rows = summary[summary["algorithm"] == name].sort_values("value")
        x = x_of(rows["value"])
        y = rows[f"{metric.column}_{metric.statistic}"].to_numpy(float)
        if metric.log:  # zeros (e.g. no symbol errors) end the line instead of diving
            y = np.where(y > 0, y, np.nan)
        label = experiment.algorithm(name).label
        (line,) = ax.plot(x, y, marker="o", label=label)
        if metric.statistic != "mean":
            continue
        lo = rows[f"{metric.column}_lo"].to_numpy(float)
        hi = rows[f"{metric.column}_hi"].to_numpy(float)
        ok = np.isfinite(lo) & np.isfinite(hi) & ((lo > 0) | (not metric.log))
        if ok.any():
            ax.fill_between(x[ok], lo[ok], hi[ok], color=line.get_color(), alpha=0.15, lw=0)
    reference = f"{metric.reference}_mean"
    if metric.reference and reference in summary:
        # one reference curve: its mean per sweep value (equal for every algorithm)
        ref = summary.groupby("value", sort=True)[reference].mean()
        ax.plot(x_of(ref.index), ref.to_numpy(float), "k--", label=metric.reference_label)
    if metric.log:
        ax.set_yscale("log")


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
    for metric in experiment.histories:
        column, label, log = metric.column, metric.label, metric.log
        if column not in results:
            continue
        fig = Figure(figsize=(4.6 * len(values), 3.8), layout="constrained")
        axes = fig.subplots(1, len(values), squeeze=False)[0]
        for ax, value in zip(axes, values, strict=True):
            at_value = results[results["value"] == value]
            for name in _plotted(experiment, at_value):
                path = _mean_path(list(at_value.loc[at_value["algorithm"] == name, column]))
                if path.size:
                    label = experiment.algorithm(name).label
                    ax.plot(np.arange(1, path.size + 1), path, label=label)
            if experiment.history_log_x:
                ax.set_xscale("log")
            if log:
                ax.set_yscale("log")
            ax.set_title(experiment.value_label(float(value)))
            _finish(ax, experiment, "iteration", label, at_value)
        figures[column.removesuffix("_path") + "_history"] = fig
    if "gamma_support" in results and "true_support" in results:
        figures["support"] = _support_figure(experiment, results, values)
    return figures


def _support_figure(experiment: Experiment, results: pd.DataFrame, values: list[Any]) -> Figure:
    """The final ``γ``'s support (entries > 1e-4) against the true one, first trial (Fig. 2)."""
    first = results[results["trial"] == results["trial"].min()]
    fig = Figure(figsize=(4.6 * len(values), 3.8), layout="constrained")
    axes = fig.subplots(1, len(values), squeeze=False)[0]
    for ax, value in zip(axes, values, strict=True):
        at_value = first[first["value"] == value]
        names = _plotted(experiment, at_value)
        if not names:
            continue
        truth = np.asarray(at_value["true_support"].iloc[0], dtype=float)
        for j in truth:
            ax.axvline(j, color="0.8", lw=0.8, zorder=0)
        for i, name in enumerate(names):
            found = at_value.loc[at_value["algorithm"] == name, "gamma_support"].iloc[0]
            found = np.asarray(found, dtype=float)
            hit = np.isin(found, truth)
            ax.plot(found[hit], np.full(hit.sum(), i), "o", ms=3, color="C2", label="_hit")
            ax.plot(found[~hit], np.full((~hit).sum(), i), "x", ms=3, color="C3", label="_miss")
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(-0.7, len(names) - 0.3)
        ax.set_xlabel("flat index j (grey lines: true support)")
        ax.set_title(f"{experiment.value_label(float(value))}: final γ_j > 1e-4")
    handles = [
        Line2D([], [], ls="", marker="o", ms=3, color="C2", label="in the true support"),
        Line2D([], [], ls="", marker="x", ms=3, color="C3", label="not in the true support"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize="small")
    fig.suptitle(f"{experiment.name} (trial {int(first['trial'].iloc[0])})")
    return fig


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
        The files written (``<metric>.png``/``.pdf``; for the per-iteration experiments
        ``<path>_history.*`` per plotted list column, e.g. ``nmse_history.*``, and for the
        convergence experiment ``support.*``).

    Raises
    ------
    ExperimentError
        If the folder holds no results, or a format is not one matplotlib writes.
    StorageError
        A figure file cannot be written (an :class:`ExperimentError`).
    """
    supported = Figure().canvas.get_supported_filetypes()
    unknown = [f for f in formats if f not in supported]
    if unknown:
        raise ExperimentError(
            f"unknown figure format(s) {unknown}; valid: {', '.join(sorted(supported))}"
        )
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
            try:
                fig.savefig(path, format=fmt)
            except OSError as exc:  # e.g. a read-only results folder
                raise StorageError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
            written.append(path)
    return written
