"""The IRS measurement model: y0 from the physical channels equals (F1 ⊗ F2 ⊗ F3) z.

See docs/theory.md (theory-irs); R<n> are the departures of docs/reproduction.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from krosbl import Kron, irs

# (n_ms, n_bs, n_irs, grid, spread, n_pilots, n_patterns): the paper's sizes, non-square L,
# tiny arrays, a spread equal to the grid, K2 = L.
SIZES = [
    (6, 16, 256, 18, 3, 3, 6),
    (2, 3, 10, 7, 2, 2, 4),
    (4, 5, 37, 11, 1, 2, 37),
    (3, 4, 2, 2, 2, 2, 2),
    (1, 1, 5, 5, 5, 1, 1),
    (5, 7, 64, 16, 4, 3, 8),
]
IDS = ["paper", "L10", "L37-K2=L", "L2", "s=G", "L64"]


def scenario(sizes: tuple[int, ...], n_trials: int = 3) -> irs.Scenario:
    n_ms, n_bs, n_irs, grid, spread, k1, k2 = sizes
    return irs.Scenario(
        n_ms=n_ms,
        n_bs=n_bs,
        n_irs=n_irs,
        grid=grid,
        spread=spread,
        n_pilots=k1,
        n_patterns=k2,
        n_trials=n_trials,
    )


def dictionary(n: int, grid: int) -> np.ndarray:
    """a_n(g)[k] = n^{-1/2} e^{jπθ_g k}, θ_g = 2g/G − 1, written out naively."""
    theta = 2 * np.arange(grid) / grid - 1
    return np.exp(1j * np.pi * np.outer(np.arange(n), theta)) / np.sqrt(n)


def relerr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def trials(sizes: tuple[int, ...]) -> list[irs.Trial]:
    run = irs.Run(scenario(sizes), seed=sum(sizes))
    return list(run)


@pytest.mark.parametrize("sizes", SIZES, ids=IDS)
def test_y0_from_physical_channels_equals_kron_times_z(sizes):
    for trial in trials(sizes):
        sc = trial.scenario
        X, psi = trial.pilots, trial.patterns
        H = [trial.H2 @ np.diag(psi[:, k]) @ trial.H1 for k in range(sc.n_patterns)]
        Y0 = np.stack([(Hk @ X).T for Hk in H])  # Y0[k, t, b] = (H_k X)[b, t]
        assert Y0.shape == (sc.n_patterns, sc.n_pilots, sc.n_bs)
        y0 = Y0.ravel()
        assert relerr(Kron(list(trial.factors)) @ trial.z.ravel(), y0) < 1e-12
        assert relerr(trial.operator @ trial.z.ravel(), y0) < 1e-12
        assert relerr(trial.y0, y0) < 1e-12
        assert relerr(trial.H, np.stack(H)) < 1e-12


@pytest.mark.parametrize("sizes", SIZES, ids=IDS)
def test_channels_rebuilt_from_true_z(sizes):
    for trial in trials(sizes):
        sc = trial.scenario
        a_ms = irs.array_dictionary(sc.n_ms, sc.grid)
        rebuilt = irs.rebuild_channels(trial.z, trial.factors.f1, a_ms, trial.factors.f3)
        assert rebuilt.shape == (sc.n_patterns, sc.n_bs, sc.n_ms)
        assert relerr(rebuilt, trial.H) < 1e-12
        assert relerr(trial.rebuild(trial.z.ravel()), trial.H) < 1e-12


@pytest.mark.parametrize("sizes", SIZES, ids=IDS)
def test_physical_channels_are_rank_one_cluster_sums(sizes):
    for trial in trials(sizes):
        sc, geo = trial.scenario, trial.geometry
        s, grid = sc.spread, sc.grid
        a_irs, a_ms, a_bs = (dictionary(n, grid) for n in (sc.n_irs, sc.n_ms, sc.n_bs))
        c1, c2 = np.sqrt(sc.n_ms * sc.n_irs / s), np.sqrt(sc.n_bs * sc.n_irs / s)
        h1 = sum(
            c1
            * geo.irs_gains[j]
            * np.outer(a_irs[:, geo.irs_arrival + j], a_ms[:, geo.ms_departure].conj())
            for j in range(s)
        )
        h2 = sum(
            c2
            * geo.bs_gains[i]
            * np.outer(a_bs[:, geo.bs_arrival + i], a_irs[:, geo.irs_departure].conj())
            for i in range(s)
        )
        assert relerr(trial.H1, h1) < 1e-12
        assert relerr(trial.H2, h2) < 1e-12
        assert 0 <= geo.irs_arrival <= grid - s and 0 <= geo.bs_arrival <= grid - s  # R4


@pytest.mark.parametrize("sizes", SIZES, ids=IDS)
def test_support_and_values_of_the_angular_channel(sizes):
    for trial in trials(sizes):
        sc, geo = trial.scenario, trial.geometry
        grid, s = sc.grid, sc.spread
        expected = {
            ((geo.irs_departure - geo.irs_arrival - j) % grid, geo.ms_departure, geo.bs_arrival + i)
            for i in range(s)
            for j in range(s)
        }
        rows, cols, pages = np.unravel_index(trial.support, (grid,) * 3)
        got = {(int(r), int(c), int(p)) for r, c, p in zip(rows, cols, pages, strict=True)}
        assert got == expected
        np.testing.assert_array_equal(trial.support, np.sort(trial.support))
        np.testing.assert_array_equal(np.flatnonzero(trial.z), trial.support)
        c = np.sqrt(sc.n_ms * sc.n_irs / s) * np.sqrt(sc.n_bs * sc.n_irs / s)
        for i in range(s):
            for j in range(s):
                g1 = (geo.irs_departure - geo.irs_arrival - j) % grid
                value = trial.z[g1, geo.ms_departure, geo.bs_arrival + i]
                assert value == pytest.approx(c * geo.irs_gains[j] * geo.bs_gains[i], rel=1e-14)


@pytest.mark.parametrize("sizes", SIZES, ids=IDS)
def test_factors_match_their_closed_forms(sizes):
    trial = trials(sizes)[0]
    sc = trial.scenario
    L, grid = sc.n_irs, sc.grid
    psi = trial.patterns
    ell = np.arange(L)
    f1 = np.array(
        [
            [np.sum(psi[:, k] * np.exp(-2j * np.pi * ell * g / grid)) / L for g in range(grid)]
            for k in range(sc.n_patterns)
        ]
    )
    # F1[k, g] = ψ_kᵀ(a_L(0) ⊙ conj a_L(g)), and the angle-difference identity behind it.
    a_irs = dictionary(L, grid)
    f1_alt = psi.T @ (a_irs[:, [0]] * a_irs.conj())
    np.testing.assert_allclose(trial.factors.f1, f1, atol=1e-13)
    np.testing.assert_allclose(trial.factors.f1, f1_alt, atol=1e-13)
    for a in range(grid):
        for d in range(grid):
            lhs = psi.T @ (a_irs[:, d].conj() * a_irs[:, a])
            np.testing.assert_allclose(lhs, f1[:, (d - a) % grid], atol=1e-13)
    np.testing.assert_allclose(
        trial.factors.f2, trial.pilots.T @ dictionary(sc.n_ms, grid).conj(), atol=1e-14
    )
    np.testing.assert_allclose(trial.factors.f3, dictionary(sc.n_bs, grid), atol=1e-13)


@pytest.mark.parametrize(("n", "grid"), [(1, 2), (6, 18), (16, 18), (256, 18), (37, 11), (10, 7)])
def test_array_dictionary(n, grid):
    A = irs.array_dictionary(n, grid)
    assert A.shape == (n, grid)
    np.testing.assert_allclose(A, dictionary(n, grid), atol=1e-13)
    np.testing.assert_allclose(np.linalg.norm(A, axis=0), 1.0, rtol=1e-14)
    np.testing.assert_allclose(irs.grid_angles(grid), 2 * np.arange(grid) / grid - 1)


@pytest.mark.parametrize("sizes", SIZES, ids=IDS)
def test_training_signals(sizes):
    run = irs.Run(scenario(sizes), seed=3)
    sc = run.scenario
    X, psi = run.pilots, run.patterns
    assert X.shape == (sc.n_ms, sc.n_pilots) and psi.shape == (sc.n_irs, sc.n_patterns)
    np.testing.assert_allclose(np.abs(X.real), 1 / np.sqrt(2 * sc.n_ms))
    np.testing.assert_allclose(np.abs(X.imag), 1 / np.sqrt(2 * sc.n_ms))
    np.testing.assert_allclose(np.abs(psi), 1 / np.sqrt(sc.n_irs))
    assert not X.flags.writeable and not psi.flags.writeable


def test_observation_noise_level():
    trial = irs.Run(irs.Scenario.paper(), seed=11).trial(0)
    assert trial.signal_power == pytest.approx(np.linalg.norm(trial.y0) ** 2 / 288, rel=1e-14)
    noise = []
    for snr in (4.0, 12.0):
        obs = trial.observe(snr_db=snr, rng=np.random.default_rng(5))
        assert obs.trial is trial and obs.snr_db == snr and obs.y.shape == (288,)
        assert obs.noise_var == pytest.approx(trial.signal_power / 10 ** (snr / 10), rel=1e-14)
        noise.append((obs.y - trial.y0) / np.sqrt(obs.noise_var))
    # Same generator seed: the same standardised noise at every SNR.
    np.testing.assert_allclose(noise[0], noise[1], atol=1e-9)
    big = irs.Run(irs.Scenario.paper(), seed=11).trial(0)
    draws = np.concatenate(
        [(big.observe(0.0, rng=np.random.default_rng(i)).y - big.y0) for i in range(200)]
    )
    var = big.signal_power
    assert np.mean(np.abs(draws) ** 2) == pytest.approx(var, rel=0.03)
    assert np.var(draws.real) == pytest.approx(var / 2, rel=0.05)
    assert np.var(draws.imag) == pytest.approx(var / 2, rel=0.05)


def test_paper_scenario():
    sc = irs.Scenario.paper()
    assert sc == irs.Scenario()
    assert (sc.n_ms, sc.n_bs, sc.n_irs, sc.grid, sc.spread) == (6, 16, 256, 18, 3)
    assert (sc.n_pilots, sc.n_patterns, sc.n_trials) == (3, 6, 50)
    assert sc.snr_db == (4.0, 8.0, 12.0, 16.0, 20.0)
    assert sc.n_measurements == 288 and sc.unknown_shape == (18, 18, 18)
