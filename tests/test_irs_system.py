"""Measured IRS systems: System, Measurement, complex patterns, learned noise, path counts."""

from __future__ import annotations

import numpy as np
import pytest

from krosbl import irs
from krosbl.irs.arrays import array_response


def _observation(phases: str = "binary", off_grid: float = 0.0, snr: float = 15.0):
    sc = irs.Scenario(n_patterns=12, off_grid=off_grid, pattern_phases=phases)
    trial = irs.Run(sc, seed=3).trial(0)
    return trial, trial.observe(snr, rng=1)


def test_a_measurement_of_a_trial_gives_the_observation_s_estimate() -> None:
    trial, obs = _observation()
    measurement = irs.Measurement(
        irs.System(trial.pilots, trial.patterns, 16), obs.y, obs.noise_var
    )
    for method in ("svd-krosbl", "dkrosbl", "offgrid"):
        a, b = irs.estimate(obs, method), irs.estimate(measurement, method)
        np.testing.assert_allclose(b.H, a.H, rtol=1e-12, atol=1e-12 * np.abs(a.H).max())
        assert b.observation is measurement


def test_y_may_be_given_as_the_pattern_pilot_antenna_array() -> None:
    trial, obs = _observation()
    system = trial.system
    cube = irs.Measurement(system, obs.y.reshape(system.measurement_shape), obs.noise_var)
    np.testing.assert_array_equal(cube.y, obs.y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": np.zeros(7)}, "y must hold K2·K1·N_b = 12·3·16 = 576 entries"),
        ({"y": np.full(576, np.nan)}, "y"),
        ({"noise_var": 0.0}, "noise_var must be a positive finite number"),
        ({"noise_var": -1.0}, "noise_var must be a positive finite number"),
        ({"system": "not a system"}, "system must be a krosbl.irs.System"),
    ],
)
def test_bad_measurements_are_refused_with_a_message_naming_the_argument(
    kwargs: dict, message: str
) -> None:
    trial, obs = _observation()
    args = {"system": trial.system, "y": obs.y, "noise_var": 1.0, **kwargs}
    with pytest.raises((ValueError, TypeError), match=message):
        irs.Measurement(**args)


@pytest.mark.parametrize(
    ("pilots", "patterns", "n_bs", "message"),
    [
        (np.ones(3), np.ones((8, 2)), 4, "pilots must be a non-empty matrix"),
        (np.ones((2, 3)), np.ones((8, 2, 1)), 4, "patterns must be a non-empty matrix"),
        (np.ones((2, 3)), np.full((8, 2), np.inf), 4, "patterns"),
        (np.ones((2, 3)), np.ones((8, 2)), 0, "n_bs"),
    ],
)
def test_bad_systems_are_refused(pilots, patterns, n_bs, message) -> None:
    with pytest.raises(ValueError, match=message):
        irs.System(pilots, patterns, n_bs)


def test_the_oracles_need_the_truth_of_a_simulation() -> None:
    trial, obs = _observation()
    bare = trial.system.measurement(obs.y, obs.noise_var)
    with pytest.raises(ValueError, match="true paths"):
        irs.estimate(bare, "oracle-angles")
    with pytest.raises(ValueError, match="true grid support"):
        irs.estimate(bare, "oracle-ls")
    with_truth = trial.system.measurement(obs.y, obs.noise_var, paths=trial.paths)
    np.testing.assert_allclose(
        irs.estimate(with_truth, "oracle-angles").H, irs.estimate(obs, "oracle-angles").H
    )
    with pytest.raises(TypeError, match="Measurement or a simulated"):
        irs.estimate(obs.y, "offgrid")


def test_continuous_phase_patterns_build_the_channel_the_dense_model_gives() -> None:
    trial, _ = _observation("continuous", off_grid=0.0)
    psi = trial.patterns
    assert np.iscomplexobj(psi)
    np.testing.assert_allclose(np.abs(psi), 1 / np.sqrt(psi.shape[0]))
    # H_k = H2 diag(ψ_k) H1, written out, against the trial and its paths
    dense = np.stack([trial.H2 @ np.diag(psi[:, k]) @ trial.H1 for k in range(psi.shape[1])])
    np.testing.assert_allclose(trial.H, dense, atol=1e-10 * np.abs(dense).max())
    rebuilt = trial.paths.channels(psi, n_ms=6, n_bs=16)
    np.testing.assert_allclose(rebuilt, dense, atol=1e-10 * np.abs(dense).max())
    # on the grid the angular truth gives the measurement exactly: y0 = (F1 ⊗ F2 ⊗ F3) z
    dense_a = np.kron(np.kron(trial.factors.f1, trial.factors.f2), trial.factors.f3)
    np.testing.assert_allclose(dense_a @ trial.z.ravel(), trial.y0, atol=1e-9)


def test_held_out_patterns_follow_the_training_law() -> None:
    trial, obs = _observation("continuous", off_grid=0.5, snr=30.0)
    est = irs.estimate(obs, "oracle-angles")
    # the oracle is near exact on any pattern of the same law; a ±1 pattern would also do, so
    # check the law itself: fresh patterns of a continuous scenario are complex
    assert irs.heldout_nmse(est, trial, rng=0) < 1e-2
    fresh = irs.draw_patterns(np.random.default_rng(0), 256, 4, "continuous")
    assert np.iscomplexobj(fresh) and not np.allclose(fresh.imag, 0)
    with pytest.raises(ValueError, match="pattern_phases must be one of"):
        irs.Scenario(pattern_phases="quantised")


@pytest.mark.parametrize("phases", ["binary", "continuous"])
def test_learned_noise_is_close_to_the_truth(phases: str) -> None:
    trial, obs = _observation(phases, off_grid=0.5, snr=10.0)
    est = irs.estimate(trial.system.measurement(obs.y), "offgrid")
    assert est.result.noise_learned
    assert 0.7 < est.result.noise_var / obs.noise_var < 1.4


def test_offsbl_scenario_draws_the_authors_channel() -> None:
    sc = irs.OffSBLScenario()
    trial = sc.trial(5)
    p = trial.paths
    delta = np.sort(p.irs)
    gaps = np.abs(np.subtract.outer(delta, delta))[np.triu_indices(3, 1)]
    assert np.all((gaps >= 0.07) & (gaps <= 0.22))
    assert np.all((p.ms >= 0.3) & (p.ms <= 0.5)) and np.ptp(p.ms) == 0 and np.ptp(p.bs) == 0
    # H1 = √(N_m L) a_L(θ_a) diag(α) a_Nm(φ)ᴴ and H2 = √(N_b L) a_Nb(β) α_b a_L(θ_d)ᴴ, dense:
    # with θ_d = 0 the IRS differences are −θ_a and the path gains are √(N_m L N_b L) α α_b
    theta_a = -p.irs
    g = p.gains / np.sqrt(6 * 256 * 16 * 256)
    h1 = (
        np.sqrt(6 * 256)
        * array_response(256, theta_a)
        @ np.diag(g)
        @ array_response(6, p.ms).conj().T
    )
    h2 = np.sqrt(16 * 256) * array_response(16, p.bs[:1]) @ array_response(256, [0.0]).conj().T
    psi = trial.system.patterns
    dense = np.stack([h2 @ np.diag(psi[:, k]) @ h1 for k in range(psi.shape[1])])
    np.testing.assert_allclose(trial.H, dense, atol=1e-10 * np.abs(dense).max())
    m = trial.observe(10.0, rng=0)
    assert m.noise_var == pytest.approx(np.mean(np.abs(trial.y0) ** 2) / 10.0)
    assert m.paths is trial.paths


def test_batch_and_joint_estimates_take_measurements() -> None:
    trial, obs = _observation()
    system = trial.system
    noisy = [obs, trial.observe(20.0, rng=2)]
    measured = [system.measurement(o.y, o.noise_var) for o in noisy]
    for a, b in zip(
        irs.estimate_batch(noisy, "svd-krosbl"), irs.estimate_batch(measured, "svd-krosbl")
    ):
        np.testing.assert_allclose(b.H, a.H, atol=1e-12 * np.abs(a.H).max())
    learned = irs.estimate_batch([system.measurement(o.y) for o in noisy], "svd-krosbl")
    assert all(e.result.noise_learned for e in learned)
    with pytest.raises(ValueError, match="all known or all learned"):
        irs.estimate_batch([measured[0], system.measurement(obs.y)], "svd-krosbl")
    joint = irs.estimate_joint([system.measurement(o.y, 0.01) for o in noisy], "offgrid")
    assert len(joint) == 2 and np.array_equal(joint[0].paths.irs, joint[1].paths.irs)


def test_too_few_measurements_to_learn_the_noise_is_an_error() -> None:
    # K2·K1·N_b = 3 measurements, no more than the K2 + K1 + N_b − 2 = 3 of a rank-one tensor
    system = irs.System(np.ones((2, 1)), np.ones((4, 1)), n_bs=3)
    with pytest.raises(ValueError, match="cannot be estimated; give noise_var"):
        irs.estimate(system.measurement(np.ones(3)), "offgrid")
