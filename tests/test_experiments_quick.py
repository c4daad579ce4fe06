"""``--quick`` of every experiment runs end to end; the synthetic data follow spec §7.1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from krosbl.experiments import get_experiment, run_experiment
from krosbl.experiments import synthetic_data as sd

FAST = ["synthetic-snr", "synthetic-measurements", "synthetic-sparsity", "irs-snr"]
SLOW = ["convergence", "unknown-noise"]  # fixed iteration counts of up to 4000 (spec §9)


def _quick(name: str, out: Path) -> pd.DataFrame:
    df = run_experiment(name, quick=True, out=out, workers=1, progress=False)
    experiment = get_experiment(name)
    n_values = len(experiment.quick["values"]) if "values" in experiment.quick else 2
    assert len(df) == experiment.trials.quick * n_values * len(experiment.algorithms)
    assert set(df["algorithm"]) == set(experiment.algorithm_names)
    assert df["nmse"].notna().all() and np.isfinite(df["nmse"]).all()
    assert list(out.glob("*.png")) and list(out.glob("*.pdf"))
    return df


@pytest.mark.parametrize("name", FAST)
def test_quick_runs(name: str, tmp_path: Path) -> None:
    df = _quick(name, tmp_path / name)
    if name == "irs-snr":
        assert df["ser"].between(0, 1).all()
        beta = df[df["algorithm"].str.startswith("pc-krosbl")]
        assert set(beta["algorithm"]) == {"pc-krosbl-0.8", "pc-krosbl-0.5"}
    if name == "synthetic-measurements":
        # R5: one σ² per trial (from the full-row A_1), reused for every M_1
        assert (df.groupby("trial")["noise_var"].nunique() == 1).all()


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_quick_runs_history(name: str, tmp_path: Path) -> None:
    df = _quick(name, tmp_path / name)
    assert (tmp_path / name / "nmse_history.png").exists()
    for _, row in df.iterrows():
        assert len(row["nmse_path"]) == row["n_iter"] == len(row["cost_path"])
    if name == "unknown-noise":
        learned = df[df["value"] == 1.0]
        assert (learned["noise_var"] != learned["true_noise_var"]).all()
        known = df[df["value"] == 0.0]
        assert (known["noise_var"] == known["true_noise_var"]).all()


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
