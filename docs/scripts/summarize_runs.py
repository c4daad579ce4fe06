"""Summarise a stored IRS experiment run into the CSV the docs quote.

Per condition, sweep value and algorithm: the mean of the linear NMSE in dB and the median of
the per-trial dB, for the training NMSE (``nmse``) and the held-out NMSE (``heldout_nmse``);
the pooled training NMSE (``Σ err_sq / Σ ref_sq``); the median time per solve; and, for path
estimates, the fraction of trials whose path counts were right (``paths_correct``).

Usage::

    python docs/scripts/summarize_runs.py RESULTS_DIR OUT.csv

e.g. after ``krosbl run irs-offsbl --paper --out results/irs-offsbl``, ``python
docs/scripts/summarize_runs.py results/irs-offsbl docs/measurements/irs-offsbl.csv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def summarize(folder: Path) -> pd.DataFrame:
    """The summary table of the run stored in ``folder``."""
    df = pd.concat(pd.read_parquet(p) for p in sorted((folder / "parts").glob("*.parquet")))
    keys = [k for k in ("off_grid", "n_patterns") if k in df] + ["value", "algorithm"]
    rows = []
    for key, group in df.groupby(keys, sort=True):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row["trials"] = len(group)
        for column in ("nmse", "heldout_nmse"):
            values = group[column].to_numpy()
            row[f"{column}_mean_db"] = 10 * np.log10(values.mean())
            row[f"{column}_median_db"] = float(np.median(10 * np.log10(values)))
        row["nmse_pooled_db"] = 10 * np.log10(group["err_sq"].sum() / group["ref_sq"].sum())
        row["time_median_s"] = float(group["time_s"].median())
        if "paths_correct" in group and group["paths_correct"].notna().any():
            row["paths_correct"] = float(group["paths_correct"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    table = summarize(Path(sys.argv[1]))
    table.to_csv(sys.argv[2], index=False, float_format="%.4g")
    print(table.to_string(index=False))
