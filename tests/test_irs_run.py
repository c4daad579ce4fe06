"""Runs: seeding, order independence, shared vs per-trial training, the pattern redraw (R2, R3).

R<n> are the departures from the authors' code listed in docs/reproduction.md.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from krosbl import irs
from krosbl.irs.channel import WEAK_CHANNEL_THRESHOLD

SMALL = irs.Scenario(
    n_ms=3, n_bs=4, n_irs=12, grid=8, spread=2, n_pilots=2, n_patterns=3, n_trials=8
)
# L = G = 2, s = 1: every pattern's cascaded channel vanishes with probability 1/2
# (a_L(d)ᴴ diag(ψ) a_L(a) = (ψ_0 ± ψ_1)/2), so the pattern redraw (R2) fires often.
DEGENERATE = irs.Scenario(
    n_ms=1, n_bs=1, n_irs=2, grid=2, spread=1, n_pilots=1, n_patterns=2, n_trials=12
)

FIELDS = ("pilots", "patterns", "H1", "H2", "H", "z", "support", "y0")


def assert_same_trial(a: irs.Trial, b: irs.Trial) -> None:
    assert a.index == b.index and a.geometry.ms_departure == b.geometry.ms_departure
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for fa, fb in zip(a.factors, b.factors, strict=True):
        np.testing.assert_array_equal(fa, fb)


@pytest.mark.parametrize("redraw", [False, True])
@pytest.mark.parametrize("scenario", [SMALL, DEGENERATE], ids=["small", "degenerate"])
def test_same_seed_same_run(scenario, redraw):
    first = list(irs.Run(scenario, seed=7, redraw_per_trial=redraw))
    second = list(irs.Run(scenario, seed=7, redraw_per_trial=redraw))
    for a, b in zip(first, second, strict=True):
        assert_same_trial(a, b)
    other = irs.Run(scenario, seed=8, redraw_per_trial=redraw).trial(0)
    assert not np.array_equal(other.y0, first[0].y0)


def test_seed_sequence_equals_int_seed():
    root = np.random.SeedSequence(21)
    a = irs.Run(SMALL, seed=root).trial(2)
    b = irs.Run(SMALL, seed=21).trial(2)
    c = irs.Run(SMALL, seed=root).trial(2)  # the same SeedSequence again: not consumed
    assert_same_trial(a, b)
    assert_same_trial(a, c)


def test_children_are_the_spawned_seed_sequences():
    children = np.random.SeedSequence(21).spawn(1 + SMALL.n_trials)
    run = irs.Run(SMALL, seed=21)
    rng = np.random.default_rng(children[0])
    np.testing.assert_array_equal(run.pilots, irs.draw_pilots(rng, 3, 2))
    np.testing.assert_array_equal(run.patterns, irs.draw_patterns(rng, 12, 3))
    geometry = irs.draw_geometry(np.random.default_rng(children[1 + 4]), SMALL)
    trial = run.trial(4)
    assert trial.geometry.ms_departure == geometry.ms_departure
    assert trial.geometry.irs_arrival == geometry.irs_arrival
    assert trial.geometry.irs_departure == geometry.irs_departure
    assert trial.geometry.bs_arrival == geometry.bs_arrival
    np.testing.assert_array_equal(trial.geometry.irs_gains, geometry.irs_gains)
    np.testing.assert_array_equal(trial.geometry.bs_gains, geometry.bs_gains)


@pytest.mark.parametrize("redraw", [False, True])
@pytest.mark.parametrize("scenario", [SMALL, DEGENERATE], ids=["small", "degenerate"])
@pytest.mark.parametrize("order", ["reversed", "shuffled", "single"])
def test_trial_independent_of_call_order(scenario, redraw, order):
    n = scenario.n_trials
    sequential = list(irs.Run(scenario, seed=3, redraw_per_trial=redraw))
    run = irs.Run(scenario, seed=3, redraw_per_trial=redraw)
    if order == "reversed":
        indices = list(range(n))[::-1]
    elif order == "shuffled":
        indices = list(np.random.default_rng(0).permutation(n))
    else:
        indices = [n - 1]
    for i in indices:
        assert_same_trial(run.trial(i), sequential[i])
        assert_same_trial(run.trial(i), sequential[i])  # again, from the cache


def test_shared_training_by_default():
    run = irs.Run(SMALL, seed=5)
    for trial in run:
        np.testing.assert_array_equal(trial.pilots, run.pilots)
        np.testing.assert_array_equal(trial.patterns, run.patterns)
    geos = {(t.geometry.ms_departure, t.geometry.irs_departure) for t in run}
    assert len(geos) > 1  # the channels do change


def test_redraw_per_trial():
    run = irs.Run(SMALL, seed=5, redraw_per_trial=True)
    pilots = [t.pilots for t in run]
    patterns = [t.patterns for t in run]
    assert not all(np.array_equal(pilots[0], p) for p in pilots[1:])
    assert not all(np.array_equal(patterns[0], p) for p in patterns[1:])
    for t in run:
        np.testing.assert_allclose(np.abs(t.patterns), 1 / np.sqrt(SMALL.n_irs))


def test_trial_arrays_are_read_only():
    trial = irs.Run(SMALL, seed=1).trial(0)
    for name in FIELDS:
        with pytest.raises(ValueError, match="read-only"):
            getattr(trial, name)[...] = 0
    with pytest.raises(ValueError, match="read-only"):
        trial.factors.f1[0, 0] = 0


def test_weak_patterns_are_redrawn_and_kept(caplog):
    with caplog.at_level(logging.WARNING, logger="krosbl.irs.channel"):
        trials = list(irs.Run(DEGENERATE, seed=2))
    assert any("redrawn" in r.getMessage() for r in caplog.records)
    run_patterns = irs.Run(DEGENERATE, seed=2).patterns
    previous = run_patterns
    n_changed = 0
    for trial in trials:
        assert np.all(np.linalg.norm(trial.H, axis=(1, 2)) >= WEAK_CHANNEL_THRESHOLD)
        np.testing.assert_allclose(np.abs(trial.patterns), 1 / np.sqrt(2))  # R2: ±1/√L
        for k in range(DEGENERATE.n_patterns):
            if not np.array_equal(trial.patterns[:, k], previous[:, k]):
                n_changed += 1
                old = irs.cascaded_channels(trial.H1, trial.H2, previous[:, k : k + 1])
                assert np.linalg.norm(old) < WEAK_CHANNEL_THRESHOLD
        previous = trial.patterns  # a redrawn pattern is kept for the later trials
    assert n_changed > 0


def test_redraw_leaves_good_patterns_alone():
    trial = irs.Run(SMALL, seed=4).trial(0)
    out = irs.redraw_weak_patterns(trial.H1, trial.H2, trial.patterns, np.random.default_rng(0))
    assert out is trial.patterns


def test_redraw_gives_up_on_a_zero_channel():
    h1 = np.zeros((4, 2), complex)
    h2 = np.ones((3, 4), complex)
    patterns = np.full((4, 2), 0.5)
    with pytest.raises(RuntimeError, match="redraws"):
        irs.redraw_weak_patterns(h1, h2, patterns, np.random.default_rng(0))
    assert np.all(patterns == 0.5)  # input untouched


def test_run_container():
    run = irs.Run(SMALL, seed=9)
    assert len(run) == SMALL.n_trials
    assert [t.index for t in run] == list(range(SMALL.n_trials))
    assert "redraw_per_trial=False" in repr(run)
