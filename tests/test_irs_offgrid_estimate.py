"""The off-grid IRS estimator: rank-one split, then a line-spectral fit per factor.

He & Joseph, arXiv:2310.07869 (split) and arXiv:2412.00310 (per-factor off-grid refinement).
"""

from __future__ import annotations

import numpy as np
import pytest

from krosbl import irs


def noiseless(trial: irs.Trial) -> irs.Observation:
    return irs.Observation(trial, np.inf, 0.0, trial.y0)


@pytest.mark.parametrize("n_patterns", [20, 40])
@pytest.mark.parametrize("off_grid", [0.0, 0.5, 1.0])
def test_exact_without_noise_with_enough_patterns(n_patterns, off_grid):
    run = irs.Run(irs.Scenario(off_grid=off_grid, n_patterns=n_patterns, n_trials=2), seed=3)
    for trial in run:
        est = irs.estimate(noiseless(trial), "offgrid")
        assert est.method == "offgrid" and est.z is None and len(est.paths) == 9
        assert irs.pooled_nmse(est, trial) < 1e-20
        assert irs.heldout_nmse(est, trial, rng=0) < 1e-20
        ms = est.result.details["factor_angles"][1]
        np.testing.assert_allclose(irs.wrap_angles(ms), trial.angles.ms_departure, atol=1e-9)
        bs = np.sort(irs.wrap_angles(est.result.details["factor_angles"][2]))
        np.testing.assert_allclose(bs, np.sort(trial.angles.bs_arrival), atol=1e-9)


def test_close_to_the_oracle_off_grid_at_20_db():
    """Mean held-out NMSE within 3 dB of the oracle's (K2 = 40, ρ = 0.5), over 4 trials."""
    run = irs.Run(irs.Scenario(off_grid=0.5, n_patterns=40, n_trials=4), seed=7)
    scores = []
    for trial in run:
        obs = trial.observe(20.0, rng=trial.index)
        scores.append(
            [
                irs.heldout_nmse(irs.estimate(obs, method), trial, rng=0)
                for method in ("offgrid", "oracle-angles", "oracle-ls")
            ]
        )
    ours, oracle, grid = np.mean(scores, axis=0)
    assert ours < 10 ** (3 / 10) * oracle
    assert grid > 0.5  # the true grid support is useless on fresh patterns


def test_gains_with_the_joint_refit():
    trial = irs.Run(irs.Scenario(off_grid=0.5, n_patterns=40, n_trials=1), seed=3).trial(0)
    est = irs.estimate(noiseless(trial), "offgrid", refit=True)
    assert irs.pooled_nmse(est, trial) < 1e-20
    obs = trial.observe(10.0, rng=0)
    product = irs.estimate(obs, "offgrid")
    refit = irs.estimate(obs, "offgrid", refit=True)
    np.testing.assert_array_equal(product.paths.irs, refit.paths.irs)
    # better, not just different: on the same paths the refitted gains are the least-squares
    # fit of y (the residual is orthogonal to every path's column), so they explain y better
    # than the product of the factor gains
    columns = refit.paths.atoms(trial.patterns, trial.pilots, trial.scenario.n_bs)

    def residual(est: irs.Estimate) -> np.ndarray:
        return obs.y - columns @ est.paths.gains

    scale = np.linalg.norm(columns) * np.linalg.norm(obs.y)
    assert np.abs(columns.conj().T @ residual(refit)).max() < 1e-12 * scale
    assert np.abs(columns.conj().T @ residual(product)).max() > 1e-4 * scale
    assert np.linalg.norm(residual(refit)) < np.linalg.norm(residual(product))


def test_more_paths_than_the_channel_has():
    trial = irs.Run(irs.Scenario(off_grid=0.5, n_patterns=40, n_trials=1), seed=3).trial(0)
    est = irs.estimate(trial.observe(30.0, rng=0), "offgrid", n_paths=(4, 2, 4))
    assert len(est.paths) == 32
    assert irs.heldout_nmse(est, trial, rng=0) < 1e-2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_paths": (3, 1)}, ValueError, "n_paths must hold 3 entries"),
        ({"n_paths": (3, 0, 3)}, ValueError, "n_paths must be >= 1"),
        ({"oversampling": (4, 8, 0)}, ValueError, "oversampling must be >= 1"),
        ({"n_paths": (3, 1.5, 3)}, TypeError, "n_paths must be an integer"),
        ({"beta": 0.5}, TypeError, "unexpected keyword argument 'beta'"),
    ],
)
def test_bad_options(kwargs, error, match):
    trial = irs.Run(irs.Scenario(n_trials=1), seed=3).trial(0)
    with pytest.raises(error, match=match):
        irs.estimate(trial.observe(10.0, rng=0), "offgrid", **kwargs)
