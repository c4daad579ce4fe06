"""dKroSBL: rank-one split + one classic SBL per factor (+ optional Kronecker SBL refinement)."""

from __future__ import annotations

import math
import warnings
from functools import reduce

import numpy as np
import pytest
from conftest import kron_sparse, random_factors

import krosbl
from krosbl import Kron
from krosbl.decomposition import rank_one_split
from krosbl.em import run_em
from krosbl.priors import KronPrior
from krosbl.updates import SVDUpdate, SweepUpdate

#: (M_i, N_i, K per factor, seed): noise-free problems each factor SBL solves exactly.
PROBLEMS = {
    2: ((8, 9), (12, 14), 2, 0),
    3: ((6, 7, 6), (10, 9, 8), 2, 1),
    4: ((6, 6, 5, 5), (8, 8, 7, 7), 2, 2),
}

#: Noisy problems (20 dB): enough rows per factor for each factor SBL to learn its noise.
NOISY = {2: ((10, 12), (14, 16), 2, 0), 3: ((9, 8, 10), (12, 10, 12), 2, 1)}


def solve_dkrosbl(y, factors, noise_var=None, **settings) -> krosbl.Result:
    """dKroSBL through the public entry point."""
    return krosbl.recover(y, factors, "dkrosbl", noise_var, **settings)


def _nmse(x_hat: np.ndarray, x: np.ndarray) -> float:
    return float(np.linalg.norm(x_hat - x) ** 2 / np.linalg.norm(x) ** 2)


def _problem(
    n_factors: int, is_complex: bool, table: dict = PROBLEMS
) -> tuple[list[np.ndarray], np.ndarray]:
    out_shape, in_shape, k, seed = table[n_factors]
    rng = np.random.default_rng(seed)
    return random_factors(rng, out_shape, in_shape, is_complex), kron_sparse(
        rng, in_shape, k, is_complex
    )


def _noise(rng: np.random.Generator, m: int, sigma2: float, is_complex: bool) -> np.ndarray:
    if is_complex:
        return math.sqrt(sigma2 / 2) * (rng.standard_normal(m) + 1j * rng.standard_normal(m))
    return math.sqrt(sigma2) * rng.standard_normal(m)


@pytest.mark.parametrize("n_factors", [2, 3, 4])
@pytest.mark.parametrize("noise_var", [None, 1e-12])
def test_noise_free_rank_one_is_exact(n_factors: int, noise_var: float | None, is_complex: bool):
    factors, x = _problem(n_factors, is_complex)
    y = Kron(factors) @ x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = solve_dkrosbl(y, factors, noise_var)
    assert _nmse(fit.x, x) < 1e-8
    np.testing.assert_array_equal(fit.support, np.flatnonzero(x))
    assert fit.converged and len(fit.details["factor_iterations"]) == n_factors
    assert fit.n_iter == max(fit.details["factor_iterations"])
    assert np.iscomplexobj(fit.x) == is_complex
    assert fit.details["residual_fraction"] < 1e-20
    assert fit.noise_learned == (noise_var is None)
    if noise_var is not None:
        assert fit.noise_var == noise_var
    # gammas: full length, zeros exactly at the pruned entries of each factor
    kept = np.unravel_index(fit.support, [a.shape[1] for a in factors])
    for g, a, k in zip(fit.gammas, factors, kept):
        assert g.shape == (a.shape[1],)
        np.testing.assert_array_equal(np.flatnonzero(g), np.unique(k))


@pytest.mark.parametrize("n_factors", [2, 3])
def test_dense_dictionary_check(n_factors: int, is_complex: bool) -> None:
    """The noise-free estimate explains y through the dense A_1 ⊗ … ⊗ A_I (formed here only)."""
    factors, x = _problem(n_factors, is_complex)
    dense = reduce(np.kron, factors)
    y = dense @ x
    fit = solve_dkrosbl(y, Kron(factors))
    np.testing.assert_allclose(dense @ fit.x, y, rtol=0, atol=1e-9 * np.abs(y).max())
    assert not fit.x[np.setdiff1d(np.arange(len(x)), fit.support)].any()


def _reference_factor_sbl(
    y: np.ndarray, a: np.ndarray, sigma2: float, prune: float, tol: float, max_iter: int
) -> tuple[np.ndarray, float]:
    """Classic SBL with learned noise on dense matrices, written from its equations."""
    m, n = a.shape
    c = math.sqrt(m) / np.linalg.norm(y)
    yt = c * y
    floor = 1e-10 * np.linalg.norm(yt) ** 2 / m
    s2 = max(sigma2, floor)
    gamma = np.full(n, np.mean(np.abs(yt) ** 2) / np.mean(np.sum(np.abs(a) ** 2, axis=0)))

    def e_step(g: np.ndarray, keep: np.ndarray, s2: float) -> tuple[np.ndarray, np.ndarray]:
        ak = a[:, keep]
        inv = np.linalg.inv(s2 * np.eye(m) + (ak * g) @ ak.conj().T)
        mu = g * (ak.conj().T @ inv @ yt)
        d = g - g**2 * np.real(np.einsum("ij,ik,kj->j", ak.conj(), inv, ak))
        return mu, d

    keep = np.arange(n)
    for _ in range(max_iter):
        old = np.zeros(n)
        old[keep] = gamma
        mask = gamma > prune * gamma.max()
        gamma, keep = gamma[mask], keep[mask]
        mu, d = e_step(gamma, keep, s2)
        resid = np.linalg.norm(yt - a[:, keep] @ mu) ** 2
        s2 = max((resid + s2 * np.sum(1 - d / gamma)) / m, floor)
        gamma = d + np.abs(mu) ** 2
        new = np.zeros(n)
        new[keep] = gamma
        if np.linalg.norm(new - old) / np.linalg.norm(old) <= tol:
            break
    mu, _ = e_step(gamma, keep, s2)
    full = np.zeros(n, dtype=mu.dtype)
    full[keep] = mu
    return full / c, s2


@pytest.mark.parametrize("n_factors", [2, 3])
@pytest.mark.parametrize("known", [False, True])
def test_against_reference_equations(n_factors: int, known: bool, is_complex: bool) -> None:
    """Noisy data: the estimate is the ⊗ of per-factor SBLs run from the data-scaled start."""
    factors, x = _problem(n_factors, is_complex, NOISY)
    rng = np.random.default_rng(7)
    y0 = Kron(factors) @ x
    sigma2 = 1e-2 * np.mean(np.abs(y0) ** 2)
    y = y0 + _noise(rng, len(y0), sigma2, is_complex)
    out_shape = tuple(a.shape[0] for a in factors)
    split = rank_one_split(y, out_shape)
    dof = math.prod(out_shape) - (sum(out_shape) - n_factors + 1)
    sigma2_hat = split.residual_sq / dof
    used = sigma2 if known else sigma2_hat
    r_sq = np.linalg.norm(split.factors[-1]) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = solve_dkrosbl(y, factors, sigma2 if known else None)
    refs = [
        _reference_factor_sbl(yi, a, used * len(yi) / r_sq, 1e-3, 1e-4, 150)
        for yi, a in zip(split.factors, factors)
    ]
    expected = reduce(np.kron, [mu for mu, _ in refs])
    np.testing.assert_allclose(fit.x, expected, rtol=0, atol=1e-7 * np.abs(expected).max())
    assert fit.details["split_noise_var"] == pytest.approx(sigma2_hat, rel=1e-12)
    assert fit.noise_var == pytest.approx(used, rel=1e-12)
    assert fit.details["residual_fraction"] == pytest.approx(split.residual_fraction)
    np.testing.assert_allclose(fit.details["factor_noise_var"], [s for _, s in refs], rtol=1e-6)
    assert _nmse(fit.x, x) < 0.02


@pytest.mark.parametrize("c", [1e-3, 1e3])
def test_scale_equivariant(c: float, is_complex: bool) -> None:
    factors, x = _problem(3, is_complex)
    rng = np.random.default_rng(3)
    y0 = Kron(factors) @ x
    y = y0 + _noise(rng, len(y0), 1e-2, is_complex)
    base = solve_dkrosbl(y, factors, 1e-2)
    scaled = solve_dkrosbl(c * y, factors, 1e-2 * c**2)
    np.testing.assert_allclose(scaled.x, c * base.x, rtol=0, atol=1e-10 * c * np.abs(base.x).max())
    np.testing.assert_array_equal(scaled.support, base.support)


def _rank_two(is_complex: bool) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    factors, x = _problem(3, is_complex)
    rng = np.random.default_rng(11)
    other = kron_sparse(rng, [a.shape[1] for a in factors], 2, is_complex)
    return factors, x, x + other


def test_not_rank_one_warns(is_complex: bool) -> None:
    factors, _, x = _rank_two(is_complex)
    y = Kron(factors) @ x
    sigma2 = 1e-4 * np.mean(np.abs(y) ** 2)
    with pytest.warns(RuntimeWarning, match=r"does not look rank one.*refine=True"):
        fit = solve_dkrosbl(y, factors, sigma2)
    assert fit.details["rank_one_warning"] is True
    assert "rank one" in fit.message
    assert fit.details["residual_fraction"] > 1e-3


def test_rank_one_with_noise_does_not_warn(is_complex: bool) -> None:
    factors, x = _problem(3, is_complex)
    y0 = Kron(factors) @ x
    sigma2 = 1e-2 * np.mean(np.abs(y0) ** 2)
    y = y0 + _noise(np.random.default_rng(5), len(y0), sigma2, is_complex)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = solve_dkrosbl(y, factors, sigma2)
    assert fit.details["rank_one_warning"] is False


def test_refine_zero_iterations_is_the_dkrosbl_estimate(is_complex: bool) -> None:
    factors, x = _problem(3, is_complex)
    y = Kron(factors) @ x + _noise(np.random.default_rng(2), 252, 1e-2, is_complex)
    plain = solve_dkrosbl(y, factors, 1e-2)
    zero = solve_dkrosbl(y, factors, 1e-2, refine=True, refine_iter=0)
    np.testing.assert_array_equal(zero.x, plain.x)
    np.testing.assert_array_equal(zero.support, plain.support)
    assert "refine_iterations" not in zero.details


@pytest.mark.parametrize("method", ["svd-krosbl", "am-krosbl"])
@pytest.mark.parametrize("known", [False, True])
def test_refine_is_kronecker_sbl_from_the_factor_estimates(
    method: str, known: bool, is_complex: bool
) -> None:
    factors, _, x = _rank_two(is_complex)
    op = Kron(factors)
    y = op @ x
    sigma2 = 1e-3 * np.mean(np.abs(y) ** 2)
    y = y + _noise(np.random.default_rng(4), len(y), sigma2, is_complex)
    noise_var = sigma2 if known else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # not rank one: the point of refine
        plain = solve_dkrosbl(y, factors, noise_var)
        fit = solve_dkrosbl(y, factors, noise_var, refine=True, refine_method=method, refine_iter=4)
    # The stated start: γ_i = |x̂_i|² with the factors' pruned entries kept pruned.
    estimates = plain.details["factor_estimates"]
    prior = KronPrior([np.abs(e) ** 2 for e in estimates])
    prior.prune((0.0,) * 3, np.finfo(float).tiny)
    for k, g in zip(prior.keep, plain.gammas):
        np.testing.assert_array_equal(k, np.flatnonzero(g))
    # the refine method's M-step rule on that method's neutral defaults (inner_tol=1e-4, 'rel')
    rule = SVDUpdate() if method == "svd-krosbl" else SweepUpdate(tol=1e-4, tol_type="rel")
    (out,) = run_em(
        y,
        op,
        prior,
        rule,
        prune_ratios=(1e-3,) * 3,
        prune_abs=0.0,
        tol=1e-4,
        max_iter=4,
        noise_var=noise_var,
        init_noise_var=plain.details["split_noise_var"],
        noise_floor=1e-10 * np.linalg.norm(y) ** 2 / len(y),
    )
    np.testing.assert_allclose(fit.x, out.mean, rtol=0, atol=1e-12 * np.abs(out.mean).max())
    np.testing.assert_array_equal(fit.support, prior.support())
    assert fit.details["refine_iterations"] == out.n_iter
    assert fit.noise_var == pytest.approx(out.noise_var)
    assert not np.allclose(fit.x, plain.x)  # the refinement changed something
    assert fit.n_iter == plain.n_iter


def test_large_problem_never_forms_the_kronecker_product() -> None:
    """10⁶ unknowns: the dense dictionary would have 2.7·10¹⁰ entries."""
    rng = np.random.default_rng(0)
    factors = random_factors(rng, (30, 30, 30), (100, 100, 100), False)
    x = kron_sparse(rng, (100, 100, 100), 2, False)
    fit = solve_dkrosbl(Kron(factors) @ x, factors)
    assert _nmse(fit.x, x) < 1e-8


def test_zero_y_returns_zeros(is_complex: bool) -> None:
    factors, _ = _problem(2, is_complex)
    with pytest.warns(RuntimeWarning, match="y is all zeros"):
        fit = solve_dkrosbl(np.zeros(72), factors)
    assert not fit.x.any() and fit.x.shape == (168,)
    assert np.iscomplexobj(fit.x) == is_complex
    assert fit.support.size == 0 and "all zeros" in fit.message


def test_one_factor_is_refused() -> None:
    a = np.ones((4, 6))
    with pytest.raises(
        ValueError, match=r"2 Kronecker factors.*\['omp', 'oracle-ls', 'pc-sbl', 'sbl'\]"
    ):
        solve_dkrosbl(np.ones(4), [a])
    with pytest.raises(ValueError, match="at least 2 Kronecker factors, got 1"):
        solve_dkrosbl(np.ones(4), Kron([a]))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(bad: float) -> None:
    factors, x = _problem(2, False)
    y = Kron(factors) @ x
    y[3] = bad
    with pytest.raises(ValueError, match="y contains NaN or infinite"):
        solve_dkrosbl(y, factors)
    y[3] = 0.0
    factors[1][2, 2] = bad
    with pytest.raises(ValueError, match=r"factor 1 .*NaN or infinite"):
        solve_dkrosbl(y, factors)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"noise_var": -1.0}, ValueError, "noise_var must be finite and > 0"),
        ({"noise_var": 0.0}, ValueError, "noise_var must be finite and > 0"),
        ({"noise_var": "1"}, TypeError, "noise_var"),
        ({"prune_ratio": 1.0}, ValueError, "prune_ratio"),
        ({"tol": -1e-3}, ValueError, "tol"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"hooi_sweeps": -1}, ValueError, "hooi_sweeps"),
        ({"refine_iter": 2.5}, TypeError, "refine_iter"),
        ({"refine_method": "pc-krosbl"}, ValueError, "refine_method"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    factors, x = _problem(2, False)
    with pytest.raises(error, match=match):
        solve_dkrosbl(Kron(factors) @ x, factors, **kwargs)


def test_wrong_length_y() -> None:
    factors, _ = _problem(2, False)
    with pytest.raises(ValueError, match="y has length 5"):
        solve_dkrosbl(np.ones(5), factors)
