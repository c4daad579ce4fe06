"""Pooled and held-out channel NMSE, and channels as paths (angles and gains).

He & Joseph (IEEE TSP 2024, Section VI); off-grid: He & Joseph, arXiv:2412.00310.
"""

from __future__ import annotations

import numpy as np
import pytest

from krosbl import irs

SMALL = {"n_ms": 3, "n_bs": 4, "n_irs": 10, "grid": 7, "spread": 2, "n_pilots": 2, "n_patterns": 4}


def trial(off_grid: float = 0.0, **sizes: int) -> irs.Trial:
    return irs.Run(irs.Scenario(off_grid=off_grid, n_trials=1, **sizes), seed=7).trial(0)


def size_kwargs(t: irs.Trial) -> dict[str, int]:
    return {"n_ms": t.scenario.n_ms, "n_bs": t.scenario.n_bs}


@pytest.mark.parametrize("sizes", [{}, SMALL], ids=["paper", "small"])
@pytest.mark.parametrize("off_grid", [0.0, 0.5, 1.0])
def test_true_paths_rebuild_the_trial(sizes, off_grid):
    t = trial(off_grid, **sizes)
    paths = t.paths
    assert len(paths) == t.geometry.spread**2
    np.testing.assert_allclose(paths.channels(t.patterns, **size_kwargs(t)), t.H, atol=1e-10)
    y0 = paths.atoms(t.patterns, t.pilots, t.scenario.n_bs) @ paths.gains
    np.testing.assert_allclose(y0, t.y0, atol=1e-10)


@pytest.mark.parametrize("sizes", [{}, SMALL], ids=["paper", "small"])
def test_grid_paths_match_the_grid_rebuild(sizes):
    t = trial(**sizes)
    rng = np.random.default_rng(1)
    z = rng.standard_normal(t.z.shape) + 1j * rng.standard_normal(t.z.shape)
    z[np.abs(z) < 1.0] = 0  # a sparse-ish estimate
    grid = t.scenario.grid
    paths = irs.Paths.from_grid(z, grid)
    assert len(paths) == np.count_nonzero(z)
    psi = irs.draw_patterns(rng, t.scenario.n_irs, 5)
    expected = irs.rebuild_channels(
        z,
        irs.pattern_factor(psi, grid),
        irs.array_dictionary(t.scenario.n_ms, grid),
        irs.array_dictionary(t.scenario.n_bs, grid),
    )
    got = paths.channels(psi, **size_kwargs(t))
    np.testing.assert_allclose(got, expected, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("off_grid", [0.0, 0.5])
def test_heldout_nmse_is_zero_for_the_truth_and_one_for_zero(off_grid):
    t = trial(off_grid)
    assert irs.heldout_nmse(t, t, rng=0) == pytest.approx(0.0, abs=1e-24)
    assert irs.heldout_nmse(t.paths, t, rng=0) == pytest.approx(0.0, abs=1e-24)
    assert irs.heldout_nmse(np.zeros(t.z.shape), t, rng=0) == pytest.approx(1.0, rel=1e-14)
    assert irs.heldout_nmse(t.paths.with_gains(np.zeros(9)), t) == pytest.approx(1.0, rel=1e-14)


def test_heldout_nmse_of_the_true_grid_z():
    """On the grid ẑ = z is exact on any pattern; off the grid it is not (the grid floor)."""
    on, off = trial(0.0), trial(0.5)
    assert irs.heldout_nmse(on.z, on, rng=3) < 1e-24
    assert irs.heldout_nmse(off.z, off, rng=3) > 0.5


def test_heldout_nmse_of_a_scaled_estimate():
    t = trial(0.5)
    for c in (0.5, 2.0):
        est = t.paths.with_gains(c * t.paths.gains)
        assert irs.heldout_nmse(est, t, rng=0) == pytest.approx((c - 1) ** 2, rel=1e-12)


def test_heldout_nmse_reuses_its_patterns_for_a_seed():
    t = trial(0.5)
    z = np.zeros(t.z.shape, dtype=complex)
    z[t.z != 0] = t.z[t.z != 0]
    a = irs.heldout_nmse(z, t, rng=5)
    assert a == irs.heldout_nmse(z, t, rng=5) != irs.heldout_nmse(z, t, rng=6)
    assert a == irs.heldout_nmse(z, t, rng=np.random.default_rng(5))


def test_estimates_carry_their_paths():
    t = trial()
    est = irs.estimate(t.observe(30.0, rng=0), "oracle-ls")
    assert len(est.paths) == np.count_nonzero(est.z)
    assert irs.paths_of(est, 18) is est.paths
    assert irs.heldout_nmse(est, t, rng=0) == pytest.approx(
        irs.heldout_nmse(est.z, t, rng=0), rel=1e-12
    )
    assert irs.heldout_nmse(est, t, rng=0) < 1e-2


def test_pooled_nmse():
    t = trial()
    h = np.array(t.H)
    assert irs.pooled_nmse(t, t) == 0.0
    assert irs.pooled_nmse(np.zeros_like(h), t) == pytest.approx(1.0)
    # One pattern wrong by its own energy: per-pattern mean 1/K2, pooled its energy share.
    bad = h.copy()
    bad[0] = 0
    share = np.linalg.norm(h[0]) ** 2 / np.linalg.norm(h) ** 2
    assert irs.pooled_nmse(bad, t) == pytest.approx(share, rel=1e-12)
    assert irs.channel_nmse(bad, t) == pytest.approx(1 / len(h), rel=1e-12)


@pytest.mark.parametrize(
    ("n_patterns", "error", "match"),
    [
        (0, ValueError, "n_patterns must be >= 1"),
        (-3, ValueError, "n_patterns must be >= 1"),
        (257, ValueError, r"n_patterns must be <= n_irs \(L\) = 256"),
        (2.0, TypeError, "n_patterns must be an integer"),
    ],
)
def test_heldout_pattern_count_is_checked(n_patterns, error, match):
    t = trial()
    with pytest.raises(error, match=match):
        irs.heldout_nmse(t, t, n_patterns=n_patterns)


def test_heldout_default_needs_enough_irs_elements():
    t = trial(**SMALL)
    with pytest.raises(ValueError, match=r"n_patterns must be <= n_irs \(L\) = 10, .* 100"):
        irs.heldout_nmse(t, t)
    assert irs.heldout_nmse(t, t, n_patterns=10, rng=0) == 0.0


def test_heldout_needs_a_trial_and_the_right_trial():
    run = irs.Run(irs.Scenario(n_trials=2), seed=7)
    t0, t1 = run.trial(0), run.trial(1)
    with pytest.raises(TypeError, match="truth must be a Trial"):
        irs.heldout_nmse(t0, t0.H)
    est = irs.estimate(t0.observe(20.0, rng=0), "oracle-ls")
    with pytest.raises(ValueError, match="trial 0, not of the trial 1"):
        irs.heldout_nmse(est, t1)


def test_paths_validation():
    with pytest.raises(ValueError, match="same length"):
        irs.Paths([0.1, 0.2], [0.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        irs.Paths([np.nan], [0.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="G³ = 343"):
        irs.Paths.from_grid(np.zeros(10), 7)
    p = irs.Paths([1.5], [-1.0], [0.25], [2j])
    assert p.irs[0] == pytest.approx(-0.5) and p.ms[0] == -1.0
    assert not p.gains.flags.writeable
