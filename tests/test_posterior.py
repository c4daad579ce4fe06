"""The factor-wise posterior against the plain dense formulas (docs/theory.md, theory-e-step)."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
from conftest import random_factors

from krosbl import Kron
from krosbl.posterior import flat_posterior, kron_posterior

SHAPES = [
    ((5,), (7,)),
    ((3, 4), (4, 3)),
    ((2, 3, 4), (3, 2, 5)),
    ((2, 2, 2, 3), (3, 2, 2, 2)),
]


def dense_posterior(y, A, gamma, noise_var):
    """Textbook SBL posterior with the full matrices."""
    sigma_y = noise_var * np.eye(len(y)) + (A * gamma) @ A.conj().T
    inv = np.linalg.inv(sigma_y)
    mean = gamma * (A.conj().T @ inv @ y)
    var = gamma - gamma**2 * np.real(np.einsum("mn,mk,kn->n", A.conj(), inv, A))
    _, logdet = np.linalg.slogdet(sigma_y)
    cost = logdet + np.real(np.vdot(y, inv @ y))
    return mean, var, cost, np.linalg.cond(sigma_y)


def _problem(out_shape, in_shape, is_complex, seed):
    rng = np.random.default_rng(seed)
    f = random_factors(rng, out_shape, in_shape, is_complex)
    gammas = [rng.random(n) + 0.1 for n in in_shape]
    A = reduce(np.kron, f)
    y = rng.standard_normal(A.shape[0]) + (
        1j * rng.standard_normal(A.shape[0]) if is_complex else 0
    )
    return f, gammas, A, y


@pytest.mark.parametrize(("out_shape", "in_shape"), SHAPES)
@pytest.mark.parametrize("noise_var", [1e-3, 0.5])
def test_kron_posterior_matches_dense(out_shape, in_shape, noise_var, is_complex):
    f, gammas, A, y = _problem(out_shape, in_shape, is_complex, 10)
    gamma = reduce(np.kron, gammas)
    mean, var, cost, kappa = dense_posterior(y, A, gamma, noise_var)
    post = kron_posterior(y, f, gammas, noise_var)
    tol = max(5e-12, 1e-13 * kappa)
    assert np.linalg.norm(post.mean - mean) <= tol * np.linalg.norm(mean) * 10
    assert np.allclose(post.var, var, rtol=0, atol=tol * 10 * gamma.max())
    assert post.cost == pytest.approx(cost, rel=1e-9)
    assert post.residual_sq == pytest.approx(np.sum(np.abs(y - A @ mean) ** 2), rel=1e-8)
    assert post.dof == pytest.approx(np.sum(1 - var / gamma), rel=1e-8)


@pytest.mark.parametrize(("out_shape", "in_shape"), SHAPES)
def test_flat_posterior_on_kron_and_dense_match_dense(out_shape, in_shape, is_complex):
    f, _, A, y = _problem(out_shape, in_shape, is_complex, 11)
    rng = np.random.default_rng(5)
    keep = np.sort(rng.choice(A.shape[1], size=max(2, A.shape[1] // 2), replace=False))
    gamma = rng.random(len(keep)) + 0.05
    mean, var, cost, _ = dense_posterior(y, A[:, keep], gamma, 0.2)
    for op in (Kron(f), A):
        post = flat_posterior(y, op, gamma, keep, 0.2)
        assert np.allclose(post.mean, mean, atol=1e-10)
        assert np.allclose(post.var, var, atol=1e-10)
        assert post.cost == pytest.approx(cost, rel=1e-9)
        assert post.residual_sq == pytest.approx(
            np.sum(np.abs(y - A[:, keep] @ mean) ** 2), rel=1e-8
        )


def test_flat_posterior_coefficient_space_when_tall(is_complex):
    """M > |K|: the coefficient-space form agrees with the dense formulas."""
    rng = np.random.default_rng(6)
    A = random_factors(rng, (30,), (8,), is_complex)[0]
    y = A @ rng.standard_normal(8) + 0.1 * rng.standard_normal(30)
    gamma = rng.random(8) + 0.1
    mean, var, cost, _ = dense_posterior(y, A, gamma, 0.05)
    post = flat_posterior(y, A, gamma, np.arange(8), 0.05)
    assert np.allclose(post.mean, mean, atol=1e-10)
    assert np.allclose(post.var, var, atol=1e-10)
    assert post.cost == pytest.approx(cost, rel=1e-9)


def test_kron_posterior_handles_repeated_eigenvalues():
    """Flat γ with orthogonal-ish rows gives equal eigenvalues (docs/reproduction.md, R1)."""
    g = 18
    a = np.exp(1j * np.pi * np.outer(np.arange(16), 2 * np.arange(g) / g - 1)) / 4
    f = [a, a[:3]]
    gammas = [np.ones(g), np.ones(g)]
    A = np.kron(*f)
    y = A @ (np.random.default_rng(0).standard_normal(g * g) + 0j)
    mean, var, _, _ = dense_posterior(y, A, np.ones(g * g), 0.01)
    post = kron_posterior(y, f, gammas, 0.01)
    assert np.allclose(post.mean, mean, atol=1e-9)
    assert np.allclose(post.var, var, atol=1e-9)


@pytest.mark.parametrize(("out_shape", "in_shape"), SHAPES)
def test_noiseless_posterior_matches_dense_pseudoinverse(out_shape, in_shape, is_complex):
    from krosbl.posterior import noiseless_flat_posterior, noiseless_kron_posterior

    f, gammas, A, y = _problem(out_shape, in_shape, is_complex, 12)
    gamma = reduce(np.kron, gammas)
    root = np.sqrt(gamma)
    proj = root[:, None] * np.linalg.pinv(A * root)
    mean = proj @ y
    var = gamma - np.real(np.diag(proj @ A)) * gamma
    post = noiseless_kron_posterior(y, f, gammas)
    assert np.allclose(post.mean, mean, atol=1e-9)
    assert np.allclose(post.var, var, atol=1e-9)
    flat = noiseless_flat_posterior(y, Kron(f), gamma, np.arange(len(gamma)))
    assert np.allclose(flat.mean, mean, atol=1e-9)
    assert np.allclose(flat.var, var, atol=1e-9)


def test_flat_posterior_on_kron_after_pruning_uses_columns(is_complex):
    """|K| < M: the kept columns are formed; same answer as the dense formulas."""
    f, _, A, y = _problem((3, 4), (5, 6), is_complex, 13)
    keep = np.array([0, 3, 7, 11, 29])
    gamma = np.array([1.0, 0.5, 2.0, 0.1, 0.7])
    mean, var, cost, _ = dense_posterior(y, A[:, keep], gamma, 0.3)
    assert np.allclose(Kron(f).columns(keep), A[:, keep])
    post = flat_posterior(y, Kron(f), gamma, keep, 0.3)
    assert np.allclose(post.mean, mean, atol=1e-10)
    assert np.allclose(post.var, var, atol=1e-10)
    assert post.cost == pytest.approx(cost, rel=1e-9)
