"""``--quick`` of every experiment runs end to end; the synthetic data follow the paper's sweeps.

See docs/theory.md (theory-experiments); R<n> are the departures of docs/reproduction.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import QuickRuns

from krosbl import presets
from krosbl.experiments import get_experiment, run_experiment, summarize
from krosbl.experiments import synthetic_data as sd
from krosbl.experiments.trials.rank import stage_ranks

FAST = [  # irs-snr stays in the quick set (`-m "not slow"`): one experiment end to end
    pytest.param("synthetic-snr", marks=pytest.mark.slow),
    pytest.param("synthetic-measurements", marks=pytest.mark.slow),
    pytest.param("synthetic-sparsity", marks=pytest.mark.slow),
    pytest.param("synthetic-unknown-noise-measurements", marks=pytest.mark.slow),
    "irs-snr",
]
# per-iteration experiments: fixed iteration counts of the presets (150 for rank, up to 4000 else)
HISTORY = [
    pytest.param("convergence", marks=pytest.mark.slow),
    pytest.param("unknown-noise", marks=pytest.mark.slow),
    "rank",  # about 3 s
]


def _quick(name: str, quick_runs: QuickRuns) -> tuple[pd.DataFrame, Path]:
    df, out = quick_runs(name)  # once per session: test_experiments_same_numbers reuses it
    experiment = get_experiment(name)
    n_values = len(experiment.quick["values"]) if "values" in experiment.quick else 2
    assert len(df) == experiment.trials.quick * n_values * len(experiment.algorithms)
    assert set(df["algorithm"]) == set(experiment.algorithm_names)
    assert df["nmse"].notna().all() and np.isfinite(df["nmse"]).all()
    assert list(out.glob("*.png")) and list(out.glob("*.pdf"))
    return df, out


@pytest.mark.parametrize("name", FAST)
def test_quick_runs(name: str, quick_runs: QuickRuns) -> None:
    df, out = _quick(name, quick_runs)
    if name == "irs-snr":
        assert df["ser"].between(0, 1).all()
        beta = df[df["algorithm"].str.startswith("pc-krosbl")]
        assert set(beta["algorithm"]) == {"pc-krosbl-0.8", "pc-krosbl-0.5"}
        dkrosbl = df[df["algorithm"] == "dkrosbl"]  # beyond the paper, beside its curves
        assert len(dkrosbl) == 2 and np.isfinite(dkrosbl["nmse"]).all()
    if name != "irs-snr":  # every synthetic sweep has the dKroSBL curve
        assert (df["algorithm"] == "dkrosbl").sum() == 2 * len(set(df["value"]))
    assert np.isfinite(df["err_sq"]).all() and (df["ref_sq"] > 0).all()
    if name == "synthetic-measurements":
        # R5: one σ² per trial (from the full-row A_1), reused for every M_1
        assert (df.groupby("trial")["noise_var"].nunique() == 1).all()
    if name == "synthetic-unknown-noise-measurements":
        # learned-noise sweep (Fig. 5): the R5 σ² is the true one; every method learns its own
        assert (df.groupby("trial")["true_noise_var"].nunique() == 1).all()
        assert (df["noise_var"] > 0).all() and (df["noise_var"] != df["true_noise_var"]).all()
        assert (out / "noise_var.png").exists()
        assert set(df["algorithm"]) == {"sbl", "am-krosbl", "svd-krosbl", "ksbl", "dkrosbl"}


@pytest.mark.slow
def test_quick_irs_offsbl_scores_every_estimator_on_one_measurement(tmp_path: Path) -> None:
    """irs-offsbl --quick: every algorithm and SNR scored on the same measurement; the oracle
    is the best on fresh patterns; the off-grid rows say whether they counted the paths."""
    experiment = get_experiment("irs-offsbl")
    df = run_experiment("irs-offsbl", quick=True, out=tmp_path, workers=1, progress=False)
    assert len(df) == len(experiment.quick["values"]) * len(experiment.algorithms)
    assert set(df["algorithm"]) == set(experiment.algorithm_names)
    for column in ("nmse", "heldout_nmse", "err_sq", "ref_sq", "time_s"):
        assert np.isfinite(df[column]).all(), column
    # every algorithm of an SNR saw one noise draw: the same true σ² in the oracle's row
    assert df[df["algorithm"] == "oracle-angles"]["noise_var"].nunique() == 2
    at = df[df["value"] == 20.0].set_index("algorithm")["heldout_nmse"]
    assert at["oracle-angles"] < at.drop("oracle-angles").min()
    paths = df["algorithm"].isin(["offgrid", "offgrid-3-1-1", "offsbl"])
    assert df[paths]["paths_correct"].isin([0.0, 1.0]).all()
    assert df[~paths]["paths_correct"].isna().all()  # grid and oracle estimates count nothing
    assert (tmp_path / "heldout_nmse.png").exists()


@pytest.mark.slow
def test_quick_irs_offgrid_runs_summarises_and_resumes(tmp_path: Path) -> None:
    """irs-offgrid --quick: every (ρ, K2) condition, algorithm and SNR; summary columns;
    re-running computes nothing."""
    out = tmp_path / "offgrid"
    experiment = get_experiment("irs-offgrid")
    df = run_experiment("irs-offgrid", quick=True, out=out, workers=1, progress=False)
    quick = experiment.quick
    conditions = {(rho, k2) for rho in (0.0, 0.5) for k2 in quick["n_patterns"]}
    assert set(zip(df["off_grid"], df["n_patterns"], strict=True)) == conditions
    assert len(df) == len(conditions) * len(quick["values"]) * len(experiment.algorithms)
    for column in ("nmse", "heldout_nmse", "ser", "err_sq", "ref_sq"):
        assert np.isfinite(df[column]).all(), column
    # the oracle knows the continuous angles: its held-out NMSE beats the on-grid methods off
    # the grid
    at = df[(df["off_grid"] == 0.5) & (df["value"] == 20.0)].groupby("algorithm")["heldout_nmse"]
    assert at.max()["oracle-angles"] < at.min()[["pc-krosbl-0.8", "svd-krosbl", "dkrosbl"]].min()

    table = summarize(df)
    assert len(table) == len(df)  # one trial: one summary row per row
    for column in ("nmse_mean", "nmse_median", "nmse_pooled", "heldout_nmse_median"):
        assert np.isfinite(table[column]).all(), column
    rows = table.merge(df, on=["algorithm", "value", "off_grid", "n_patterns"])
    np.testing.assert_allclose(rows["nmse_pooled"], rows["err_sq"] / rows["ref_sq"])
    for stem in ("nmse", "nmse_pooled", "heldout_nmse", "ser", "time_s"):
        assert (out / f"{stem}.png").exists(), stem

    parts = {p.name: p.stat().st_mtime_ns for p in (out / "parts").iterdir()}
    again = run_experiment(
        "irs-offgrid", quick=True, out=out, workers=1, progress=False, plot=False
    )
    assert {p.name: p.stat().st_mtime_ns for p in (out / "parts").iterdir()} == parts
    pd.testing.assert_frame_equal(again, df)


def test_learned_noise_sweep_sees_the_known_noise_problems(tmp_path: Path) -> None:
    """The learned-noise sweep (Fig. 5) runs on exactly the draws of Fig. 3 (b): same seed, same y,
    only σ² is learned."""
    config = {"algorithms": ["svd-krosbl"], "values": [6]}
    known, learned = (
        run_experiment(
            name,
            quick=True,
            out=tmp_path / name,
            workers=1,
            progress=False,
            plot=False,
            config=config,
        )
        for name in ("synthetic-measurements", "synthetic-unknown-noise-measurements")
    )
    np.testing.assert_array_equal(learned["true_noise_var"], known["noise_var"])


@pytest.mark.parametrize("name", HISTORY)
def test_quick_runs_history(name: str, quick_runs: QuickRuns) -> None:
    df, out = _quick(name, quick_runs)
    assert (out / "nmse_history.png").exists()
    experiment = get_experiment(name)
    for _, row in df.iterrows():
        algorithm = experiment.algorithm(row["algorithm"])
        # no early stop (tol 0): the iteration count of the row's preset
        max_iter = presets.get(algorithm.preset_for(row["value"]), algorithm.method).max_iter
        assert len(row["nmse_path"]) == row["n_iter"] == max_iter
        if name != "rank":
            assert len(row["cost_path"]) == row["n_iter"]
    if name == "convergence":
        assert (out / "support.png").exists()
        for _, row in df.iterrows():
            assert len(row["true_support"]) == 2**3  # K = 2 per factor in --quick
            assert set(row["gamma_support"]) <= set(range(6**3))
    if name == "rank":
        assert (out / "rank_history.png").exists()
        assert (df["noise_var"] == 0).all()  # the σ² → 0 posterior (theory-noiseless)
        for _, row in df.iterrows():
            larger = np.maximum(row["rank_lambda_path"], row["rank_stage2_path"])
            assert list(row["rank_path"]) == list(larger) and row["rank"] == larger[-1]
            assert 1 <= min(larger) and max(larger) <= 6
    if name == "unknown-noise":
        learned = df[df["value"] == 1.0]
        assert (learned["noise_var"] != learned["true_noise_var"]).all()
        known = df[df["value"] == 0.0]
        assert (known["noise_var"] == known["true_noise_var"]).all()


def test_stage_ranks_match_a_direct_computation() -> None:
    rng = np.random.default_rng(3)
    rank_one = np.kron(rng.random(4), np.kron(rng.random(5), rng.random(6)))
    assert stage_ranks(rank_one, (4, 5, 6)) == (1, 1)
    lam = rng.random(4 * 5 * 6)
    _, s, vh = np.linalg.svd(lam.reshape(4, 30))
    second = np.linalg.matrix_rank((s[0] * np.abs(vh[0])).reshape(5, 6))
    assert stage_ranks(lam, (4, 5, 6)) == (4, second) == (4, 5)
    # rank 2 in the first stage, the second stage is the leading right factor only
    two = rank_one + np.kron(rng.random(4), rng.random(30))
    assert stage_ranks(two, (4, 5, 6))[0] == 2


def test_nested_sparsity_keeps_old_entries() -> None:
    rng = np.random.default_rng(0)
    x = sd.draw_kron_sparse(rng, (8, 9, 10), 2)
    grown = x.grow(rng)
    for old, new, values, new_values in zip(
        x.supports, grown.supports, x.values, grown.values, strict=True
    ):
        assert len(new) == 3 and list(new[:2]) == list(old) and new[2] not in old
        assert list(new_values[:2]) == list(values)
    assert set(x.support()) < set(grown.support())
    assert len(grown.support()) == 27


def test_kron_sparse_measurement_matches_dense() -> None:
    rng = np.random.default_rng(1)
    mats = sd.draw_matrices(rng, (3, 4, 5), (6, 6, 6))
    x = sd.draw_kron_sparse(rng, (6, 6, 6), 2)
    dense = np.kron(mats[0], np.kron(mats[1], mats[2]))
    np.testing.assert_allclose(x.measure(mats), dense @ x.vector(), atol=1e-12)
    np.testing.assert_allclose(sd.measure(mats, x.vector()), dense @ x.vector(), atol=1e-12)
    assert np.array_equal(np.flatnonzero(x.vector()), x.support())
    sigma2 = sd.noise_variance(x.measure(mats), 20.0)
    assert sigma2 == pytest.approx(np.mean(x.measure(mats) ** 2) / 100)


def test_block_sparse_values_are_independent() -> None:
    x, support = sd.block_sparse(np.random.default_rng(2), (15, 15, 15), 4, 0.05)
    assert support.size == 64 and np.array_equal(np.flatnonzero(x), support)
    block = x.reshape(15, 15, 15)[
        np.ix_(*[np.unique(i) for i in np.unravel_index(support, (15,) * 3)])
    ]
    assert np.linalg.matrix_rank(block.reshape(4, 16)) > 1  # not rank-one
