"""Bad inputs raise errors that name the parameter."""

from __future__ import annotations

import numpy as np
import pytest

from krosbl import irs

PAPER = irs.Scenario.paper()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_irs": 1}, "n_irs"),
        ({"n_irs": 0}, "n_irs"),
        ({"grid": 1}, "grid"),
        ({"spread": 19}, "spread"),
        ({"grid": 4, "spread": 5}, "spread"),
        ({"spread": 0}, "spread"),
        ({"n_patterns": 257}, "n_patterns"),
        ({"n_irs": 4, "n_patterns": 5}, "n_patterns"),
        ({"n_patterns": 0}, "n_patterns"),
        ({"n_pilots": 0}, "n_pilots"),
        ({"n_ms": 0}, "n_ms"),
        ({"n_bs": 0}, "n_bs"),
        ({"n_trials": 0}, "n_trials"),
        ({"snr_db": (4.0, float("nan"))}, "snr_db"),
        ({"snr_db": (float("inf"),)}, "snr_db"),
        ({"snr_db": (-np.inf, 3)}, "snr_db"),
        ({"snr_db": ()}, "snr_db"),
    ],
)
def test_scenario_rejects_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=name):
        irs.Scenario(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_irs": 2.5}, "n_irs"),
        ({"grid": "18"}, "grid"),
        ({"n_trials": True}, "n_trials"),
        ({"snr_db": 12}, "snr_db"),
        ({"snr_db": "12"}, "snr_db"),
        ({"snr_db": (4, "8")}, "snr_db"),
    ],
)
def test_scenario_rejects_bad_types(kwargs, name):
    with pytest.raises(TypeError, match=name):
        irs.Scenario(**kwargs)


def test_smallest_valid_scenario():
    sc = irs.Scenario(
        n_ms=1, n_bs=1, n_irs=2, grid=2, spread=2, n_pilots=1, n_patterns=2, n_trials=1
    )
    assert irs.Run(sc, seed=0).trial(0).y0.shape == (2,)
    assert irs.Scenario(snr_db=[np.float32(3), 5]).snr_db == (3.0, 5.0)
    assert irs.Scenario(snr_db=np.arange(3.0)).snr_db == (0.0, 1.0, 2.0)
    sc = irs.Scenario(n_irs=np.int64(64))
    assert type(sc.n_irs) is int and sc == irs.Scenario(n_irs=64)


@pytest.mark.parametrize("index", [50, 51, -1, 10**6])
def test_trial_index_beyond_run(index):
    with pytest.raises(ValueError, match="index"):
        irs.Run(PAPER, seed=0).trial(index)


@pytest.mark.parametrize("index", [1.0, "0", True, None])
def test_trial_index_type(index):
    with pytest.raises(TypeError, match="index"):
        irs.Run(PAPER, seed=0).trial(index)


def test_run_needs_a_scenario():
    with pytest.raises(TypeError, match="scenario"):
        irs.Run({"n_irs": 4}, seed=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("snr", [float("nan"), float("inf"), -float("inf")])
def test_observe_rejects_non_finite_snr(snr):
    trial = irs.Run(PAPER, seed=0).trial(0)
    with pytest.raises(ValueError, match="snr_db"):
        trial.observe(snr_db=snr, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="snr_db"):
        irs.symbol_error_rate(trial, trial, snr_db=snr, rng=np.random.default_rng(0))


def test_pattern_count_beyond_the_run():
    trial = irs.Run(PAPER, seed=0).trial(0)
    too_many = np.concatenate([trial.H, trial.H[:1]])
    with pytest.raises(ValueError, match="n_patterns"):
        irs.channel_nmse(too_many, trial)
    with pytest.raises(ValueError, match="n_patterns"):
        irs.symbol_error_rate(too_many, trial, snr_db=4.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="K2"):
        irs.channel_nmse(trial.H[0], trial)


def test_rebuild_rejects_wrong_z_size():
    trial = irs.Run(PAPER, seed=0).trial(0)
    with pytest.raises(ValueError, match="z_hat"):
        trial.rebuild(np.zeros(17**3))


@pytest.mark.parametrize(("n", "grid", "name"), [(0, 18, "n"), (6, 0, "grid"), (6, 1.5, "grid")])
def test_array_dictionary_arguments(n, grid, name):
    with pytest.raises((ValueError, TypeError), match=name):
        irs.array_dictionary(n, grid)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_symbols": 0}, "n_symbols"),
        ({"symbols": np.array([0, 4])}, "symbols"),
        ({"symbols": np.array([-1, 0])}, "symbols"),
        ({"symbols": np.array([0.0, 1.0])}, "symbols"),
        ({"symbols": np.zeros((2, 2), int)}, "symbols"),
    ],
)
def test_ser_symbol_arguments(kwargs, match):
    trial = irs.Run(PAPER, seed=0).trial(0)
    with pytest.raises(ValueError, match=match):
        irs.symbol_error_rate(trial, trial, snr_db=4.0, rng=np.random.default_rng(0), **kwargs)


def test_estimate_needs_an_observation():
    trial = irs.Run(PAPER, seed=0).trial(0)
    with pytest.raises(TypeError, match="Observation"):
        irs.estimate(trial, "svd-krosbl")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("irs_gains", "bs_gains"),
    [(np.ones(2), np.ones(3)), (np.ones((2, 2)), np.ones((2, 2))), ([], [])],
)
def test_geometry_gains(irs_gains, bs_gains):
    with pytest.raises(ValueError, match="gains"):
        irs.Geometry(0, 0, 0, 0, irs_gains, bs_gains)


def test_observe_without_received_signal_is_a_clear_error():
    """A trial whose pilots are orthogonal to the MS steering vector has y_0 = 0."""
    sc = irs.Scenario(
        n_ms=2,
        n_bs=4,
        n_irs=8,
        grid=4,
        spread=2,
        n_pilots=1,
        n_patterns=2,
        snr_db=(10,),
        n_trials=10,
    )
    trial = irs.Run(sc, seed=1).trial(6)
    assert trial.signal_power == 0 and not np.any(trial.y0)
    with pytest.raises(ValueError, match="receives no signal"):
        trial.observe(10.0, rng=0)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_run_seed_must_be_a_non_negative_integer(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        irs.Run(PAPER, seed=seed)


def test_estimate_compared_with_another_trial_is_refused():
    run = irs.Run(PAPER, seed=0)
    est = irs.estimate(run.trial(0).observe(20.0, rng=np.random.default_rng(0)), "svd-krosbl")
    assert irs.channel_nmse(est, run.trial(0)) < 0.1  # the same trial, a new object
    with pytest.raises(ValueError, match="trial 0, not of the trial 1"):
        irs.channel_nmse(est, run.trial(1))
    with pytest.raises(ValueError, match="trial 0, not of the trial 1"):
        irs.symbol_error_rate(est, run.trial(1), snr_db=20.0, rng=np.random.default_rng(0))


def test_method_names_are_case_insensitive_and_keep_the_preset():
    obs = irs.Run(PAPER, seed=0).trial(0).observe(12.0, rng=np.random.default_rng(0))
    mixed = irs.estimate(obs, "PC-KroSBL", max_iter=3)
    lower = irs.estimate(obs, "pc-krosbl", max_iter=3)
    assert mixed.method == "pc-krosbl" and mixed.result.settings == lower.result.settings
    assert mixed.result.settings.coupled == (0, 2)
    assert irs.irs_settings("SVD-KroSBL", 4.0) == irs.irs_settings("svd-krosbl", 4.0)
    assert irs.estimate(obs, "Oracle-LS").method == "oracle-ls"
