"""fit_parametric: rank-one Kronecker signals of parametric factors, any I ≥ 2, real or complex."""

from __future__ import annotations

import numpy as np
import pytest

from krosbl.decomposition import rank_one_split
from krosbl.operators import kron_vector
from krosbl.parametric import ParametricFactor, fit_parametric, split_noise_variance

GRID = np.linspace(-1, 1, 512, endpoint=False)


def _ula(n: int):
    k = np.arange(n)

    def atoms(theta):
        return np.exp(1j * np.pi * np.outer(k, theta)) / np.sqrt(n)

    return atoms, lambda theta: 1j * np.pi * k[:, None] * atoms(theta)


def _cosines(n: int):
    """Real atoms ``cos(π (k + 1) θ)`` on ``θ ∈ (0, 1)``."""
    k = np.arange(1, n + 1)
    return (
        lambda theta: np.cos(np.pi * np.outer(k, theta)),
        lambda theta: -np.pi * k[:, None] * np.sin(np.pi * np.outer(k, theta)),
    )


@pytest.mark.parametrize("lengths", [(12, 9), (10, 7, 6), (6, 5, 5, 4)])
def test_noise_free_parameters_and_gains_of_any_number_of_complex_factors(lengths) -> None:
    rng = np.random.default_rng(len(lengths))
    truth = [np.sort(rng.uniform(-0.9, 0.9, 2 if i == 0 else 1)) for i in range(len(lengths))]
    factor_gains = [rng.standard_normal(len(t)) + 1j * rng.standard_normal(len(t)) for t in truth]
    pieces = [_ula(n) for n in lengths]
    y = kron_vector([a(t) @ g for (a, _), t, g in zip(pieces, truth, factor_gains)])
    factors = [ParametricFactor(a, GRID, len(t), derivative=d) for (a, d), t in zip(pieces, truth)]
    fit = fit_parametric(y, factors)
    for found, true in zip(fit.parameters, truth):
        np.testing.assert_allclose(np.sort(found), true, atol=1e-9)
    rebuilt = kron_vector(
        [a(p) @ g for (a, _), p, g in zip(pieces, fit.parameters, fit.factor_gains)]
    )
    np.testing.assert_allclose(rebuilt, y, atol=1e-9 * np.linalg.norm(y))
    assert fit.gains.shape == (int(np.prod([len(p) for p in fit.parameters])),)
    assert [len(p) for p in fit.path_parameters()] == [len(fit.gains)] * len(lengths)


def test_real_factors() -> None:
    rng = np.random.default_rng(5)
    (a1, d1), (a2, d2) = _cosines(14), _cosines(11)
    theta1, theta2 = np.array([0.237]), np.array([0.611])
    y = np.kron(a1(theta1)[:, 0], a2(theta2)[:, 0]) * 1.5 + 1e-3 * rng.standard_normal(154)
    grid = np.linspace(0.01, 0.99, 256)
    fit = fit_parametric(
        y, [ParametricFactor(a1, grid, derivative=d1), ParametricFactor(a2, grid, derivative=d2)]
    )
    assert np.isrealobj(fit.gains)
    np.testing.assert_allclose(
        [fit.parameters[0][0], fit.parameters[1][0]], [0.237, 0.611], atol=1e-4
    )
    np.testing.assert_allclose(abs(fit.gains[0]), 1.5, rtol=1e-3)


def test_columns_share_the_parameters_and_keep_their_gains() -> None:
    (a1, d1), (a2, d2) = _ula(12), _ula(9)
    theta1, theta2 = np.array([0.2, -0.35]), np.array([0.55])
    gains = [np.array([1.0, 0.5j]), np.array([2.0]), np.array([-1.0, 1.0]), np.array([1j])]
    Y = np.column_stack(
        [np.kron(a1(theta1) @ gains[0] * s, a2(theta2) @ gains[1]) for s in (1.0, -0.3, 2.0j)]
    )
    factors = [ParametricFactor(a1, GRID, 2, d1), ParametricFactor(a2, GRID, 1, d2)]
    fit = fit_parametric(Y, factors)
    np.testing.assert_allclose(np.sort(fit.parameters[0]), np.sort(theta1), atol=1e-9)
    assert fit.gains.shape == (2, 3) and fit.factor_gains[0].shape == (2, 3)
    for t in range(3):
        single = fit_parametric(Y[:, t], factors)
        rebuilt = np.kron(a1(fit.parameters[0]), a2(fit.parameters[1])) @ fit.gains[:, t]
        np.testing.assert_allclose(rebuilt, Y[:, t], atol=1e-9 * np.linalg.norm(Y[:, t]))
        np.testing.assert_allclose(np.sort(single.parameters[0]), np.sort(theta1), atol=1e-9)


def test_bad_input_names_the_problem() -> None:
    a, d = _ula(8)
    one = ParametricFactor(a, GRID)
    with pytest.raises(ValueError, match="at least 2 factors"):
        fit_parametric(np.ones(8), [one])
    with pytest.raises(ValueError, match=r"lengths \(8, 8\), whose product 64 is not the 63"):
        fit_parametric(np.ones(63), [one, one])
    with pytest.raises(ValueError, match="NaN"):
        fit_parametric(np.full(64, np.nan), [one, one])
    with pytest.raises(ValueError, match=r"factors\[1\].n_paths = 9 exceeds its 8"):
        fit_parametric(np.ones(64), [one, ParametricFactor(a, GRID, 9, d)])


def test_the_split_estimates_the_noise_of_a_rank_one_tensor() -> None:
    rng = np.random.default_rng(4)
    shape = (12, 9, 7)
    a, b, c = (rng.standard_normal(m) + 1j * rng.standard_normal(m) for m in shape)
    clean = np.kron(np.kron(a, b), c)
    estimates = []
    for _ in range(30):
        noise = 0.3 * (rng.standard_normal(clean.size) + 1j * rng.standard_normal(clean.size))
        splits = [rank_one_split(clean + noise, shape)]
        estimates.append(split_noise_variance(splits, shape))
    # σ² = 2 · 0.3² = 0.18 per complex entry; the mean of 30 estimates within 3 %
    assert np.mean(estimates) == pytest.approx(0.18, rel=0.03)
    with pytest.raises(ValueError, match="cannot be estimated; give noise_var"):
        split_noise_variance(splits, (1, 1))


def test_parameters_on_a_lattice_are_kept_on_it_and_offsets_are_not() -> None:
    rng = np.random.default_rng(2)

    def ula(n: int):
        k = np.arange(n)
        return lambda t: np.exp(1j * np.pi * np.outer(k, t)) / np.sqrt(n)

    grid = np.linspace(-1, 1, 128, endpoint=False)
    for offset, on_lattice in ((0.0, True), (0.02, False)):
        truth = [np.array([0.25 + offset, -0.5]), np.array([0.125 - offset])]
        clean = np.kron(ula(24)(truth[0]) @ np.array([1.0, 0.7j]), ula(16)(truth[1])[:, 0])
        noise_var = 1e-3 * np.mean(np.abs(clean) ** 2)
        noise = np.sqrt(noise_var / 2) * (
            rng.standard_normal(clean.size) + 1j * rng.standard_normal(clean.size)
        )
        factors = [
            ParametricFactor(ula(24), grid, 2, lattice=0.125),
            ParametricFactor(ula(16), grid, 1, lattice=0.125),
        ]
        fit = fit_parametric(clean + noise, factors, noise_var)
        for found, true in zip(fit.parameters, truth):
            snapped = np.allclose(found * 8, np.round(found * 8), atol=1e-12)
            assert snapped == on_lattice
            if on_lattice:
                np.testing.assert_allclose(np.sort(found), np.sort(true), atol=1e-12)


def test_one_column_of_a_matrix_is_the_vector_fit_with_a_lattice() -> None:
    def ula(n: int):
        k = np.arange(n)
        return lambda t: np.exp(1j * np.pi * np.outer(k, t)) / np.sqrt(n)

    rng = np.random.default_rng(5)
    y = np.kron(ula(16)(np.array([0.25]))[:, 0], ula(8)(np.array([-0.5]))[:, 0])
    y = y + 1e-3 * (rng.standard_normal(y.size) + 1j * rng.standard_normal(y.size))
    grid = np.linspace(-1, 1, 128, endpoint=False)
    factors = [ParametricFactor(ula(m), grid, 1, lattice=0.125) for m in (16, 8)]
    vector, matrix = fit_parametric(y, factors, 2e-6), fit_parametric(y[:, None], factors, 2e-6)
    assert [p.tolist() for p in vector.parameters] == [[0.25], [-0.5]]
    for a, b in zip(vector.parameters, matrix.parameters):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(matrix.gains[:, 0], vector.gains, rtol=1e-12)
