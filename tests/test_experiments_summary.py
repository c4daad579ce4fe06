"""The summary's statistics against a hand computation on small stored tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from krosbl.experiments import ExperimentError, run_experiment, summarize
from krosbl.experiments.storage import ResultStore, to_frame


def _store(root: Path, rows: list[dict]) -> pd.DataFrame:
    """Write ``rows`` as one part per trial and read them back, as a run would."""
    store = ResultStore(root)
    store.prepare({"experiment": rows[0]["experiment"]}, "f" * 64)
    frame = to_frame(rows)
    for trial, part in frame.groupby("trial"):
        store.write_trial(int(trial), part.reset_index(drop=True))
    return store.load()


def _row(algorithm: str, trial: int, nmse: float, err: float, ref: float, **extra: float) -> dict:
    return {
        "experiment": extra.pop("experiment", "synthetic-snr"),
        "algorithm": algorithm,
        "trial": trial,
        "seed": 0,
        "param": "snr_db",
        "value": 10.0,
        "nmse": nmse,
        "err_sq": err,
        "ref_sq": ref,
        **extra,
    }


def test_mean_median_and_pooled_by_hand(tmp_path: Path) -> None:
    # algorithm a: one failed trial (NMSE 10) dominates the mean, not the median or pooled value
    rows = [
        _row("a", 0, 0.1, 1.0, 10.0),
        _row("a", 1, 0.2, 4.0, 20.0),
        _row("a", 2, 10.0, 50.0, 5.0),
        _row("b", 0, 0.5, 5.0, 10.0),
        _row("b", 1, 0.25, 5.0, 20.0),
        _row("b", 2, 0.4, 2.0, 5.0),
    ]
    table = summarize(_store(tmp_path / "r", rows))
    a, b = (table[table["algorithm"] == name].iloc[0] for name in ("a", "b"))
    assert a["nmse_mean"] == pytest.approx((0.1 + 0.2 + 10.0) / 3)
    assert a["nmse_median"] == pytest.approx(0.2)
    assert a["nmse_pooled"] == pytest.approx((1.0 + 4.0 + 50.0) / (10.0 + 20.0 + 5.0))
    assert b["nmse_median"] == pytest.approx(0.4)
    assert b["nmse_pooled"] == pytest.approx(12.0 / 35.0)
    assert list(table["algorithm"]) == ["a", "b"] and (table["trials"] == 3).all()


def test_conditions_of_an_experiment_with_panels_are_kept_apart(tmp_path: Path) -> None:
    cond = {"experiment": "irs-offgrid"}
    rows = [
        _row("a", t, nmse, err, 10.0, off_grid=rho, n_patterns=6, **cond)
        for t in range(2)
        for rho, nmse, err in ((0.0, 0.1, 1.0), (0.5, 0.9, 9.0 + t))
    ]
    table = summarize(_store(tmp_path / "r", rows))
    assert list(table["off_grid"]) == [0.0, 0.5] and list(table["n_patterns"]) == [6, 6]
    assert list(table["nmse_pooled"]) == pytest.approx([0.1, 19.0 / 20.0])
    assert list(table["trials"]) == [2, 2]


def test_results_without_energies_summarise_without_pooled(tmp_path: Path) -> None:
    """Parts stored before ``err_sq`` / ``ref_sq`` existed still summarise (no pooled value)."""
    rows = [_row("a", t, nmse, np.nan, np.nan) for t, nmse in enumerate((0.1, 0.3, 0.2))]
    table = summarize(_store(tmp_path / "r", rows).drop(columns=["err_sq", "ref_sq"]))
    assert "nmse_pooled" not in table
    assert table["nmse_median"].iloc[0] == pytest.approx(0.2)


def test_resuming_a_folder_of_the_previous_format_is_refused(tmp_path: Path) -> None:
    config = {"n": [10, 10, 10], "m": [4, 5, 6], "k": 2, "values": [10.0]}
    config |= {"algorithms": ["svd-krosbl"]}
    out = tmp_path / "snr"
    run_experiment("synthetic-snr", trials=1, out=out, config=config, progress=False, plot=False)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["config"]["format"] = 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExperimentError, match=r"format: 1 -> 2"):
        run_experiment("synthetic-snr", trials=2, out=out, config=config, plot=False)
