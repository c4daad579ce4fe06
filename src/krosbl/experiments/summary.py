"""Summaries of stored results: mean and 95 % confidence interval per point."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from scipy.special import stdtrit

__all__ = ["METRICS", "print_summary", "summarize"]

#: The scalar metrics summarised (those with no value in a table are left out).
METRICS: tuple[str, ...] = ("nmse", "srr", "ser", "time_s", "n_iter", "noise_var")

_KEYS = ["experiment", "algorithm", "param", "value"]


def _interval(values: pd.Series) -> tuple[float, float, float, int]:
    x = values.to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, np.nan, np.nan, 1
    half = float(stdtrit(n - 1, 0.975) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def summarize(results: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Mean and 95 % confidence interval of each metric per (algorithm, sweep value).

    Parameters
    ----------
    results : pandas.DataFrame
        A results table (:func:`krosbl.experiments.load_results`).
    metrics : sequence of str
        Columns to summarise; those absent or all-NaN are skipped.

    Returns
    -------
    pandas.DataFrame
        One row per ``(experiment, algorithm, param, value)`` with ``trials`` and, per metric
        ``m``, ``m_mean``, ``m_lo``, ``m_hi`` (Student-t interval of the mean; NaN for one
        trial). Algorithms keep their order of first appearance; values are sorted.

    Notes
    -----
    The mean is arithmetic, also for NMSE (as the paper averages it).
    """
    present = [m for m in metrics if m in results and results[m].astype(float).notna().any()]
    order = {a: i for i, a in enumerate(pd.unique(results["algorithm"]))}
    rows = []
    for key, group in results.groupby(_KEYS, sort=False):
        row = dict(zip(_KEYS, key, strict=True))
        row["trials"] = int(group["trial"].nunique())
        for m in present:
            mean, lo, hi, _ = _interval(group[m])
            row.update({f"{m}_mean": mean, f"{m}_lo": lo, f"{m}_hi": hi})
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["_order"] = table["algorithm"].map(order)
    table = table.sort_values(["experiment", "value", "_order"], kind="stable")
    return table.drop(columns="_order").reset_index(drop=True)


def _cell(mean: float, lo: float, hi: float) -> str:
    if not np.isfinite(mean):
        return "–"
    if not np.isfinite(lo):
        return f"{mean:.3g}"
    return f"{mean:.3g} ± {(hi - lo) / 2:.2g}"


def print_summary(
    summary: pd.DataFrame,
    console: Console | None = None,
    title: str | None = None,
    value_label: dict[float, str] | None = None,
) -> None:
    """Print a summary table (mean ± half-width of the 95 % interval) with rich.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summarize`.
    console : rich.console.Console, optional
        Where to print (default stdout).
    title : str, optional
        Table title.
    value_label : dict, optional
        Display names of categorical sweep values.
    """
    console = console or Console()
    if summary.empty:
        console.print("no results")
        return
    metrics = [c.removesuffix("_mean") for c in summary.columns if c.endswith("_mean")]
    param = str(summary["param"].iloc[0])
    table = Table(title=title, caption="mean ± half-width of the 95 % interval over trials")
    for column in (param, "algorithm", "trials", *metrics):
        table.add_column(column, justify="left" if column == "algorithm" else "right", no_wrap=True)
    labels = value_label or {}
    for _, row in summary.iterrows():
        value = float(row["value"])
        cells = [labels.get(value, f"{value:g}"), str(row["algorithm"]), str(row["trials"])]
        cells += [_cell(row[f"{m}_mean"], row[f"{m}_lo"], row[f"{m}_hi"]) for m in metrics]
        table.add_row(*cells)
    console.print(table)
