"""Summaries of stored results per point: mean with its 95 % interval, median, pooled NMSE."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from scipy.special import stdtrit

__all__ = ["METRICS", "POOLED", "print_summary", "summarize"]

#: The scalar metrics summarised (those with no value in a table are left out).
METRICS: tuple[str, ...] = ("nmse", "heldout_nmse", "srr", "ser", "time_s", "n_iter", "noise_var")

#: Metrics with a pooled value over trials, ``Σ err / Σ ref``, and the columns of the per-trial
#: error and truth energies it sums: for ``nmse`` ``‖x̂ − x‖²`` and ``‖x‖²`` (synthetic),
#: ``Σ_k ‖Ĥ_k − H_k‖²`` and ``Σ_k ‖H_k‖²`` (IRS).
POOLED: Mapping[str, tuple[str, str]] = MappingProxyType({"nmse": ("err_sq", "ref_sq")})

_KEYS = ["experiment", "algorithm", "param", "value"]


def _interval(values: pd.Series) -> tuple[float, float, float, float]:
    """Mean, 95 % Student-t interval of the mean and median of the finite values."""
    x = values.to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return np.nan, np.nan, np.nan, np.nan
    mean, median = float(x.mean()), float(np.median(x))
    if n == 1:
        return mean, np.nan, np.nan, median
    half = float(stdtrit(n - 1, 0.975) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, median


def _pooled(group: pd.DataFrame, err: str, ref: str) -> float:
    """``Σ err / Σ ref`` over the rows where both are finite (NaN if none)."""
    e, r = group[err].to_numpy(dtype=float), group[ref].to_numpy(dtype=float)
    ok = np.isfinite(e) & np.isfinite(r)
    return float(e[ok].sum() / r[ok].sum()) if ok.any() else np.nan


def _panels(results: pd.DataFrame) -> list[str]:
    """The condition columns of the table's experiment that the table has."""
    from .registry import EXPERIMENTS

    names = pd.unique(results["experiment"]) if "experiment" in results else []
    panels = [c for n in names if n in EXPERIMENTS for c in EXPERIMENTS[n].panels]
    return [c for c in dict.fromkeys(panels) if c in results]


def summarize(
    results: pd.DataFrame,
    metrics: Sequence[str] = METRICS,
    panels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Mean with its 95 % interval, median and pooled value of each metric per point.

    Parameters
    ----------
    results : pandas.DataFrame
        A results table (:func:`krosbl.experiments.load_results`).
    metrics : sequence of str
        Columns to summarise; those absent or all-NaN are skipped.
    panels : sequence of str, optional
        Columns that split a sweep into conditions (a row per condition); default the
        experiment's ``panels``.

    Returns
    -------
    pandas.DataFrame
        One row per ``(experiment, algorithm, param, value)`` and condition, with ``trials``
        and, per metric ``m``, ``m_mean``, ``m_lo``, ``m_hi`` (Student-t interval of the mean;
        NaN for one trial) and ``m_median``; for the metrics of :data:`POOLED` whose energy
        columns the table has, also ``m_pooled = Σ err / Σ ref`` over the trials (e.g.
        ``Σ‖x̂ − x‖² / Σ‖x‖²``, which a few failed trials cannot dominate as they do the
        arithmetic mean, the paper's). Algorithms keep their order of first appearance;
        conditions and values are sorted.
    """
    present = [m for m in metrics if m in results and results[m].astype(float).notna().any()]
    pooled = {
        m: POOLED[m]
        for m in present
        if m in POOLED and all(c in results and results[c].notna().any() for c in POOLED[m])
    }
    panels = _panels(results) if panels is None else list(panels)
    keys = [*_KEYS, *panels]
    order = {a: i for i, a in enumerate(pd.unique(results["algorithm"]))}
    rows = []
    for key, group in results.groupby(keys, sort=False):
        row = dict(zip(keys, key, strict=True))
        row["trials"] = int(group["trial"].nunique())
        for m in present:
            mean, lo, hi, median = _interval(group[m])
            row.update({f"{m}_mean": mean, f"{m}_lo": lo, f"{m}_hi": hi, f"{m}_median": median})
            if m in pooled:
                row[f"{m}_pooled"] = _pooled(group, *pooled[m])
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["_order"] = table["algorithm"].map(order)
    table = table.sort_values(["experiment", *panels, "value", "_order"], kind="stable")
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
    algorithm_label: Mapping[str, str] | None = None,
) -> None:
    """Print a summary table with rich.

    Every metric shows its mean ± the half-width of its 95 % interval; the NMSE columns
    (``*nmse``) also their median, and those with a pooled value (:data:`POOLED`) that too.

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
    algorithm_label : mapping, optional
        Display names of algorithms (e.g. ``"dkrosbl (beyond the paper)"``).
    """
    console = console or Console()
    if summary.empty:
        console.print("no results")
        return
    metrics = [c.removesuffix("_mean") for c in summary.columns if c.endswith("_mean")]
    param = str(summary["param"].iloc[0])
    panels = [c for c in summary.columns[: summary.columns.get_loc("trials")] if c not in _KEYS]
    # (header, metric or statistic column, whether it is the mean ± half-width of a metric)
    shown: list[tuple[str, str, bool]] = []
    for m in metrics:
        shown.append((m, m, True))
        shown += [
            (f"{m} {stat}", f"{m}_{stat}", False)
            for stat in ("median", "pooled")
            if m.endswith("nmse") and f"{m}_{stat}" in summary
        ]
    table = Table(
        title=title,
        caption="mean ± half-width of the 95 % interval over trials; median and pooled "
        "(Σ error energy / Σ true energy over trials) where shown",
    )
    for column in (*panels, param, "algorithm", "trials", *(h for h, _, _ in shown)):
        table.add_column(column, justify="left" if column == "algorithm" else "right", no_wrap=True)
    labels = value_label or {}
    names = algorithm_label or {}
    for _, row in summary.iterrows():
        value = float(row["value"])
        cells = [f"{row[p]:g}" for p in panels]
        cells += [labels.get(value, f"{value:g}"), names.get(row["algorithm"], row["algorithm"])]
        cells.append(str(row["trials"]))
        cells += [
            _cell(row[f"{c}_mean"], row[f"{c}_lo"], row[f"{c}_hi"])
            if is_mean
            else _cell(row[c], np.nan, np.nan)
            for _, c, is_mean in shown
        ]
        table.add_row(*cells)
    console.print(table)
