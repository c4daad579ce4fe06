"""Off-grid IRS channels: the scenario, its continuous angles and the channels built from them.

Model: He & Joseph, "Efficient off-grid Bayesian parameter estimation for Kronecker-structured
signals" (arXiv:2412.00310), on the IRS experiment of He & Joseph (IEEE TSP 2024, Section VI).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from krosbl import irs

DATA = Path(__file__).parent / "data" / "irs" / "on_grid_trials.npz"
#: The draws (indices, gains, pilots, patterns) are compared exactly; products of them (``H``,
#: ``y``) to a few ulps, because another BLAS build or thread count may round them differently.
ROUNDING = 1e-12
SMALL = {
    "n_ms": 3,
    "n_bs": 4,
    "n_irs": 10,
    "grid": 7,
    "spread": 2,
    "n_pilots": 2,
    "n_patterns": 4,
    "n_trials": 2,
}
PSI = irs.draw_patterns(np.random.default_rng(0), 64, 5)
PILOTS = irs.draw_pilots(np.random.default_rng(0), 6, 3)


def steering(n: int, theta: np.ndarray | float) -> np.ndarray:
    """a_n(θ) = e^{jπnθ}/√n written out naively."""
    return np.exp(1j * np.pi * np.multiply.outer(np.arange(n), theta)) / np.sqrt(n)


@pytest.fixture(scope="module")
def stored() -> dict[str, np.ndarray]:
    with np.load(DATA) as data:
        return dict(data)


@pytest.mark.parametrize("off_grid", [0, 0.0])
def test_on_grid_paper_trials_are_unchanged(stored, off_grid):
    """ρ = 0 reproduces trials stored before the off-grid scenario existed (the draws bit for
    bit, their products to rounding)."""
    run = irs.Run(irs.Scenario(off_grid=off_grid), seed=7)
    for i in range(3):
        trial = run.trial(i)
        g = trial.geometry
        assert g.offsets is None
        indices = [g.ms_departure, g.irs_arrival, g.irs_departure, g.bs_arrival]
        np.testing.assert_array_equal(indices, stored[f"paper_{i}_indices"])
        np.testing.assert_array_equal(g.irs_gains, stored[f"paper_{i}_irs_gains"])
        np.testing.assert_array_equal(g.bs_gains, stored[f"paper_{i}_bs_gains"])
        np.testing.assert_allclose(trial.H, stored[f"paper_{i}_H"], rtol=ROUNDING)
        np.testing.assert_allclose(trial.y0, stored[f"paper_{i}_y0"], rtol=ROUNDING)
        y = trial.observe(12.0, rng=np.random.default_rng(100 + i)).y
        np.testing.assert_allclose(y, stored[f"paper_{i}_y12"], rtol=ROUNDING)


def test_on_grid_small_trials_are_unchanged(stored):
    run = irs.Run(irs.Scenario(**SMALL), seed=11, redraw_per_trial=True)
    for i in range(2):
        trial = run.trial(i)
        for name in ("pilots", "patterns"):
            np.testing.assert_array_equal(getattr(trial, name), stored[f"small_{i}_{name}"])
        for name in ("H1", "H2", "H", "y0"):
            np.testing.assert_allclose(
                getattr(trial, name), stored[f"small_{i}_{name}"], rtol=ROUNDING
            )


@pytest.mark.parametrize("off_grid", [0.25, 0.5, 1.0])
def test_off_grid_keeps_the_on_grid_draw_and_adds_bounded_offsets(off_grid):
    sc = irs.Scenario(**SMALL)
    on = irs.Run(sc, seed=5)
    off = irs.Run(irs.Scenario(**{**SMALL, "off_grid": off_grid}), seed=5)
    half_cell = off_grid / sc.grid  # |ρ·u·2/G| <= ρ/G
    for i in range(sc.n_trials):
        g0, g1 = on.trial(i).geometry, off.trial(i).geometry
        assert (g0.ms_departure, g0.irs_arrival, g0.irs_departure, g0.bs_arrival) == (
            g1.ms_departure,
            g1.irs_arrival,
            g1.irs_departure,
            g1.bs_arrival,
        )
        np.testing.assert_array_equal(g0.irs_gains, g1.irs_gains)
        assert g1.offsets is not None
        grid_angles, angles = g0.angles(sc.grid), g1.angles(sc.grid)
        for name in ("ms_departure", "irs_arrival", "irs_departure", "bs_arrival"):
            a = np.atleast_1d(getattr(angles, name))
            assert np.all((a >= -1) & (a < 1))
            delta = irs.wrap_angles(a - np.atleast_1d(getattr(grid_angles, name)))
            assert np.all(np.abs(delta) <= half_cell + 1e-15)
            assert np.all(delta != 0)


def test_offsets_are_independent_uniform_over_the_cell():
    """u = offset·G/(2ρ) is U(−½, ½): mean 0, variance 1/12, uncorrelated across angles."""
    sc = irs.Scenario(n_ms=2, n_bs=2, n_irs=4, grid=9, spread=2, n_patterns=2, off_grid=0.5)
    rng = np.random.default_rng(0)
    u = np.array(
        [
            np.concatenate([[o.ms_departure], o.irs_arrival, [o.irs_departure], o.bs_arrival])
            for o in (irs.draw_geometry(rng, sc).offsets for _ in range(4000))
        ]
    ) * (sc.grid / (2 * sc.off_grid))
    assert np.all(np.abs(u) <= 0.5)
    np.testing.assert_allclose(u.mean(axis=0), 0.0, atol=0.02)
    np.testing.assert_allclose(u.var(axis=0), 1 / 12, rtol=0.08)
    corr = np.corrcoef(u.T) - np.eye(u.shape[1])
    assert np.abs(corr).max() < 0.06


@pytest.mark.parametrize("off_grid", [0.0, 0.5, 1.0])
def test_channels_are_built_from_the_continuous_angles(off_grid):
    sc = irs.Scenario(**{**SMALL, "off_grid": off_grid})
    for trial in irs.Run(sc, seed=3):
        g, th = trial.geometry, trial.angles
        s = g.spread
        c1 = np.sqrt(sc.n_ms * sc.n_irs / s)
        c2 = np.sqrt(sc.n_bs * sc.n_irs / s)
        h1 = c1 * np.outer(
            steering(sc.n_irs, th.irs_arrival) @ g.irs_gains,
            steering(sc.n_ms, th.ms_departure).conj(),
        )
        h2 = c2 * np.outer(
            steering(sc.n_bs, th.bs_arrival) @ g.bs_gains,
            steering(sc.n_irs, th.irs_departure).conj(),
        )
        np.testing.assert_allclose(trial.H1, h1, atol=1e-12)
        np.testing.assert_allclose(trial.H2, h2, atol=1e-12)
        h = np.stack([h2 @ np.diag(p) @ h1 for p in trial.patterns.T])
        np.testing.assert_allclose(trial.H, h, atol=1e-12)
        y0 = np.einsum("kbn,nt->ktb", h, trial.pilots).ravel()
        np.testing.assert_allclose(trial.y0, y0, atol=1e-12)


def test_off_grid_channel_leaves_the_grid_model():
    trial = irs.Run(irs.Scenario(off_grid=0.5), seed=7).trial(0)
    y_grid = trial.operator @ trial.z.ravel()
    assert np.linalg.norm(trial.y0 - y_grid) > 0.1 * np.linalg.norm(trial.y0)


@pytest.mark.parametrize(
    ("theta", "wrapped"),
    [(0.3, 0.3), (1.0, -1.0), (-1.0, -1.0), (1.25, -0.75), (-1.25, 0.75), (3.0, -1.0)],
)
def test_wrap_angles(theta, wrapped):
    assert irs.wrap_angles(theta) == pytest.approx(wrapped, abs=1e-15)


def test_wrap_stays_in_the_half_open_interval_at_the_edges():
    edges = np.array([-3.0, -1.0, 1.0, 3.0, -1e-17, 1e-300])
    theta = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])
    wrapped = irs.wrap_angles(theta)
    assert np.all((wrapped >= -1.0) & (wrapped < 1.0))
    np.testing.assert_allclose(np.exp(1j * np.pi * wrapped), np.exp(1j * np.pi * theta), atol=1e-15)


@pytest.mark.parametrize("n", [1, 6, 256])
def test_array_response_matches_the_grid_dictionary_and_is_periodic(n):
    grid = 18
    theta = irs.grid_angles(grid)
    np.testing.assert_allclose(
        irs.array_response(n, theta), irs.array_dictionary(n, grid), atol=1e-12
    )
    t = np.array([-0.93, 0.017, 0.5])
    np.testing.assert_allclose(irs.array_response(n, t), steering(n, t), atol=1e-12)
    np.testing.assert_allclose(irs.array_response(n, t + 2), irs.array_response(n, t), atol=1e-12)
    assert irs.array_response(n, 0.1).shape == (n,)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), float("inf")])
def test_off_grid_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="off_grid"):
        irs.Scenario(off_grid=bad)


@pytest.mark.parametrize("bad", ["0.5", None, True])
def test_off_grid_must_be_a_number(bad):
    with pytest.raises(TypeError, match="off_grid"):
        irs.Scenario(off_grid=bad)


@pytest.mark.parametrize(
    ("atoms", "n_angles"),
    [
        (lambda t, d: irs.array_response(16, t, derivative=d), 3),
        (lambda t, d: irs.array_response(256, t, derivative=d), 3),
        (lambda t, d: irs.pattern_atoms(PSI, t, derivative=d), 3),
        (lambda t, d: irs.pilot_atoms(PILOTS, t, derivative=d), 3),
    ],
    ids=["ula16", "ula256", "irs", "ms"],
)
def test_atom_derivatives_match_finite_differences(atoms, n_angles):
    theta = np.array([-0.71, 0.013, 0.4])[:n_angles]
    h = 1e-6
    fd = (atoms(theta + h, False) - atoms(theta - h, False)) / (2 * h)
    np.testing.assert_allclose(atoms(theta, True), fd, atol=1e-6 * np.abs(fd).max())
