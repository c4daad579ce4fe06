"""irs.estimate on simulated trials: presets, oracle least squares, the paper's methods."""

from __future__ import annotations

import numpy as np
import pytest

from krosbl import irs

SIZES = [
    irs.Scenario.paper(),
    irs.Scenario(n_ms=3, n_bs=5, n_irs=10, grid=7, spread=2, n_pilots=2, n_patterns=4, n_trials=3),
    irs.Scenario(n_ms=4, n_bs=6, n_irs=37, grid=11, spread=3, n_pilots=2, n_patterns=5, n_trials=3),
    irs.Scenario(n_ms=1, n_bs=2, n_irs=2, grid=2, spread=1, n_pilots=1, n_patterns=2, n_trials=3),
]


def noiseless(trial: irs.Trial) -> irs.Observation:
    return irs.Observation(trial, 300.0, trial.noise_variance(300.0), trial.y0)


@pytest.mark.parametrize("scenario", SIZES, ids=["paper", "L10", "L37", "L2"])
def test_oracle_least_squares_is_exact_without_noise(scenario):
    for trial in irs.Run(scenario, seed=12):
        est = irs.estimate(noiseless(trial), "oracle-ls")
        assert est.result.method == "oracle-ls"
        np.testing.assert_array_equal(np.sort(est.result.support), trial.support)
        assert irs.channel_nmse(est, trial) < 1e-10


@pytest.fixture(scope="module")
def trial() -> irs.Trial:
    return irs.Run(irs.Scenario.paper(), seed=7).trial(0)


@pytest.mark.parametrize(
    ("method", "bound"),
    [("svd-krosbl", 0.02), ("am-krosbl", 0.05), ("pc-krosbl", 0.05), ("oracle-ls", 0.01)],
)
def test_methods_recover_the_channel_at_20_db(trial, method, bound):
    obs = trial.observe(snr_db=20.0, rng=np.random.default_rng(1))
    est = irs.estimate(obs, method)
    assert est.H.shape == (6, 16, 6) and est.z.shape == (18, 18, 18)
    assert est.observation is obs and est.method == method
    np.testing.assert_array_equal(est.z.ravel(), est.result.x)
    np.testing.assert_allclose(est.H, trial.rebuild(est.z))
    assert irs.channel_nmse(est, trial) < bound
    assert (
        irs.symbol_error_rate(est, trial, 20.0, np.random.default_rng(2), n_symbols=10_000) < 1e-3
    )


def test_estimate_uses_the_irs_presets(trial):
    obs = trial.observe(snr_db=12.0, rng=np.random.default_rng(1))
    est = irs.estimate(obs, method="pc-krosbl", beta=0.5, max_iter=3)
    settings = est.result.settings
    assert settings is not None
    assert settings.beta == 0.5 and settings.coupled == (0, 2) and settings.max_iter == 3
    assert settings.prune_ratio == (1e-2, 1e-1, 1e-2) and settings.prune_abs == 1e-4


@pytest.mark.parametrize(
    ("method", "snr_db", "experiment"),
    [
        ("svd-krosbl", 24.9, "irs"),
        ("svd-krosbl", 25.0, "irs-high-snr"),
        ("am-krosbl", 30.0, "irs"),
        ("pc-krosbl", 4.0, "irs"),
        ("sbl", 4.0, "irs"),
        ("pc-sbl", 4.0, "irs"),
        ("oracle-ls", 4.0, "irs"),
    ],
)
def test_irs_settings(method, snr_db, experiment):
    from krosbl import presets

    assert irs.irs_settings(method, snr_db) == presets.get(experiment, method)


def test_irs_settings_high_snr_svd_prunes_relatively():
    assert irs.irs_settings("svd-krosbl", 20.0).prune_ratio == 0.0
    assert irs.irs_settings("svd-krosbl", 30.0).prune_ratio == 1e-3
    assert irs.irs_settings("pc-krosbl", 12.0).beta == 0.8


@pytest.mark.parametrize(("method", "option"), [("ksbl", {"max_iter": 5}), ("kron-omp", {})])
def test_methods_outside_the_paper_experiment_use_defaults(trial, method, option):
    assert irs.irs_settings(method, 12.0) is None
    obs = trial.observe(snr_db=20.0, rng=np.random.default_rng(1))
    assert irs.estimate(obs, method, **option).H.shape == (6, 16, 6)


@pytest.mark.parametrize("off_grid", [0.0, 0.5, 1.0])
@pytest.mark.parametrize(
    "sizes",
    [{}, {"n_ms": 3, "n_bs": 4, "n_irs": 10, "grid": 7, "spread": 2, "n_pilots": 2}],
    ids=["paper", "small"],
)
def test_oracle_angles_is_exact_without_noise(off_grid, sizes):
    trial = irs.Run(irs.Scenario(off_grid=off_grid, n_trials=2, **sizes), seed=4).trial(1)
    noiseless = irs.Observation(trial, np.inf, 0.0, trial.y0)
    est = irs.estimate(noiseless, method="oracle-angles")
    assert est.method == "oracle-angles" and est.z is None
    np.testing.assert_allclose(est.paths.gains, trial.paths.gains, rtol=1e-9)
    assert irs.channel_nmse(est, trial) < 1e-20
    assert irs.heldout_nmse(est, trial, n_patterns=min(100, trial.scenario.n_irs)) < 1e-20


def test_oracle_angles_with_noise_beats_grid_oracle_off_grid():
    trial = irs.Run(irs.Scenario(off_grid=0.5), seed=7).trial(0)
    obs = trial.observe(20.0, rng=0)
    oracle = irs.estimate(obs, "ORACLE-ANGLES", settings=None)
    grid = irs.estimate(obs, "oracle-ls")
    assert irs.channel_nmse(oracle, trial) < 0.05 < irs.channel_nmse(grid, trial)
    assert irs.heldout_nmse(oracle, trial, rng=0) < 0.05 < irs.heldout_nmse(grid, trial, rng=0)
    assert oracle.result.time_s >= 0 and oracle.result.x.shape == (9,)


def test_irs_methods_and_settings():
    assert "oracle-angles" in irs.irs_methods() and "pc-krosbl" in irs.irs_methods()
    assert irs.irs_settings("oracle-angles", 12.0) is None


def test_oracle_angles_takes_no_solver_options(trial):
    with pytest.raises(TypeError, match="unexpected keyword argument 'beta'"):
        irs.estimate(trial.observe(10.0, rng=0), "oracle-angles", beta=0.5)


def test_unknown_irs_method_lists_the_valid_ones(trial):
    with pytest.raises(ValueError, match=r"unknown IRS method 'oracle'; valid .*'oracle-angles'"):
        irs.estimate(trial.observe(10.0, rng=0), "oracle")
    with pytest.raises(ValueError, match=r"valid methods are .*'pc-krosbl'"):
        irs.irs_settings("nope", 10.0)


@pytest.mark.parametrize("method", ["svd-krosbl", "dkrosbl", "oracle-ls"])
def test_estimate_carries_the_posterior_variance_of_z(trial, method):
    obs = trial.observe(snr_db=12.0, rng=np.random.default_rng(2))
    est = irs.estimate(obs, method)
    if method == "oracle-ls":
        assert est.z_var is None
        return
    assert est.z_var is not None and est.z_var.shape == est.z.shape
    assert np.all(est.z_var >= 0)
    assert np.all(est.z_var[est.z == 0] == 0)
