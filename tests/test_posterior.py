"""The factor-wise posterior against the plain dense formulas (docs/theory.md, theory-e-step)."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
from conftest import random_factors

from krosbl import Kron
from krosbl.posterior import flat_posterior, kron_posterior

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

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


# --------------------------------------------------------------------------------------------
# classic SBL: every form of the flat posterior against the textbook dense computation


def _assert_matches_textbook(post, y, A_kept, gamma, noise_var, tol=1e-10):
    mean, var, cost, _ = dense_posterior(y, A_kept, gamma, noise_var)
    scale = max(1.0, np.abs(mean).max())
    assert np.allclose(post.mean, mean, rtol=0, atol=tol * scale)
    assert np.allclose(post.var, var, rtol=0, atol=tol * gamma.max())
    assert post.cost == pytest.approx(cost, rel=1e-9)
    assert post.residual_sq == pytest.approx(np.sum(np.abs(y - A_kept @ mean) ** 2), rel=1e-8)
    assert post.dof == pytest.approx(np.sum(1 - var / gamma), rel=1e-8)


@pytest.mark.parametrize(("out_shape", "in_shape"), SHAPES)
def test_kron_kept_gram_is_the_gram_of_the_kept_columns(out_shape, in_shape, is_complex):
    from krosbl.posterior import kron_kept_gram

    f, _, A, _ = _problem(out_shape, in_shape, is_complex, 20)
    keep = np.sort(np.random.default_rng(1).choice(A.shape[1], A.shape[1] // 2, replace=False))
    gram = kron_kept_gram(Kron(f), keep)
    assert np.allclose(gram, A[:, keep].conj().T @ A[:, keep], rtol=0, atol=1e-12 * A.shape[0])


@pytest.mark.parametrize("noise_var", [1e-3, 0.5])
def test_flat_posterior_first_iteration_by_the_factors(noise_var, is_complex, monkeypatch):
    """Every column kept with one variance: the Kronecker posterior, no M × M matrix."""
    import krosbl.posterior as posterior

    f, _, A, y = _problem((3, 2, 4), (4, 3, 5), is_complex, 21)
    gamma = np.full(A.shape[1], 0.7)

    def no_cholesky(*args, **kwargs):
        raise AssertionError("the M × M form was used")

    monkeypatch.setattr(posterior, "_cholesky", no_cholesky)
    post = flat_posterior(y, Kron(f), gamma, np.arange(A.shape[1]), noise_var)
    _assert_matches_textbook(post, y, A, gamma, noise_var)


@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 2])
def test_flat_posterior_forms_agree_around_the_switch(offset, is_complex):
    """|K| = M + offset: measurement form for |K| ≥ M, coefficient form below, on the Kron
    (structured Gram) and on the dense matrix, all equal to the textbook posterior."""
    f, _, A, y = _problem((3, 4), (4, 5), is_complex, 22)
    m = A.shape[0]
    rng = np.random.default_rng(offset + 10)
    keep = np.sort(rng.choice(A.shape[1], m + offset, replace=False))
    gamma = rng.random(len(keep)) + 0.05
    for op in (Kron(f), A):
        post = flat_posterior(y, op, gamma, keep, 0.2)
        _assert_matches_textbook(post, y, A[:, keep], gamma, 0.2)


def test_flat_posterior_forms_are_the_ones_announced(monkeypatch):
    """The form follows |K| against M (a test that fails if the switch moves)."""
    import krosbl.posterior as posterior

    used = []
    for name in ("_measurement_form", "_coefficient_form"):
        original = getattr(posterior, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            used.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(posterior, name, spy)
    f, _, A, y = _problem((3, 4), (4, 5), False, 23)
    m = A.shape[0]
    for k in (m - 1, m, m + 1):
        used.clear()
        posterior.flat_posterior(y, Kron(f), np.linspace(0.1, 1, k), np.arange(k), 0.1)
        assert used == (["_coefficient_form"] if k < m else ["_measurement_form"])


def _pinv_reference(y, A_kept, gamma):
    root = np.sqrt(gamma)
    proj = root[:, None] * np.linalg.pinv(A_kept * root)
    mean = proj @ y
    return mean, gamma - np.real(np.diag(proj @ A_kept)) * gamma


@pytest.mark.parametrize("dense", [False, True])
def test_noiseless_flat_posterior_solves_without_pseudo_inverse(dense, is_complex, monkeypatch):
    """|K| ≥ M and A_K Γ A_Kᴴ well conditioned: the Cholesky solve, equal to the SVD one."""
    from krosbl.posterior import noiseless_flat_posterior

    f, _, A, y = _problem((3, 4), (4, 5), is_complex, 24)
    rng = np.random.default_rng(3)
    keep = np.sort(rng.choice(A.shape[1], 15, replace=False))
    gamma = rng.random(15) + 0.2
    mean, var = _pinv_reference(y, A[:, keep], gamma)

    def no_pinv(*args, **kwargs):
        raise AssertionError("pinv was called")

    monkeypatch.setattr(np.linalg, "pinv", no_pinv)
    post = noiseless_flat_posterior(y, A if dense else Kron(f), gamma, keep)
    assert np.allclose(post.mean, mean, rtol=0, atol=1e-10 * np.abs(mean).max())
    assert np.allclose(post.var, var, rtol=0, atol=1e-10 * gamma.max())
    assert np.isnan(post.cost)
    assert post.residual_sq == pytest.approx(0.0, abs=1e-18 * np.sum(np.abs(y) ** 2))


@pytest.mark.parametrize("dense", [False, True])
def test_noiseless_flat_posterior_keeps_the_pseudo_inverse_when_ill_conditioned(dense, is_complex):
    """Most variances negligible (A_K Γ A_Kᴴ numerically singular) or |K| < M: the
    pseudo-inverse's truncation is the reference, and it is what comes out."""
    from krosbl.posterior import noiseless_flat_posterior

    f, _, A, y = _problem((3, 4), (4, 5), is_complex, 25)
    rng = np.random.default_rng(4)
    for size, tiny in ((16, 1e-30), (16, 1e-12), (9, 1.0)):
        keep = np.sort(rng.choice(A.shape[1], size, replace=False))
        gamma = rng.random(size) + 0.2
        gamma[5:] *= tiny  # size 16: 5 columns dominate, fewer than M = 12
        mean, var = _pinv_reference(y, A[:, keep], gamma)
        post = noiseless_flat_posterior(y, A if dense else Kron(f), gamma, keep)
        assert np.allclose(post.mean, mean, rtol=0, atol=1e-10 * np.abs(mean).max())
        assert np.allclose(post.var, var, rtol=0, atol=1e-10 * gamma.max())


def test_noiseless_flat_posterior_rank_deficient_uses_the_pseudo_inverse(monkeypatch):
    """Numerically rank-deficient A_K Γ^½: the pseudo-inverse, nothing else."""
    import krosbl.posterior as posterior

    f, _, _A, y = _problem((3, 4), (4, 5), False, 27)
    gamma = np.random.default_rng(6).random(20) + 0.2
    gamma[6:] *= 1e-30
    monkeypatch.setattr(posterior, "_cholesky_rcond", lambda *a: pytest.fail("S was formed"))
    calls = []
    original = np.linalg.pinv
    monkeypatch.setattr(np.linalg, "pinv", lambda *a, **k: calls.append(1) or original(*a, **k))
    posterior.noiseless_flat_posterior(y, Kron(f), gamma, np.arange(20))
    assert calls == [1]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("split", [False, True])
def test_courant_fischer_gate_is_sound(seed, split, is_complex):
    """The gate that skips forming S only fires when κ₂(S) really is that large, and it
    fires when fewer than M columns carry the weight."""
    from krosbl.posterior import NOISELESS_MIN_RCOND, _surely_ill_conditioned

    rng = np.random.default_rng(seed)
    m, k = 8, 14
    a = random_factors(rng, (m,), (k,), is_complex)[0]
    gamma = 10.0 ** rng.uniform(-10, 0, k)  # κ(S) ≲ 1e12: eigvalsh resolves λ_min
    if split:  # m − 1 columns carry the weight
        gamma = np.where(np.arange(k) < m - 1, 1.0, 1e-9) * rng.uniform(0.5, 1.0, k)
    norms = np.sum(np.abs(a) ** 2, axis=0)
    eig = np.linalg.eigvalsh((a * gamma) @ a.conj().T)
    lower_bound = (gamma * norms).max() / np.sort(gamma * norms)[: k - (m - 1)].sum()
    assert eig[-1] / eig[0] >= lower_bound * (1 - 1e-9)
    fired = _surely_ill_conditioned(gamma * norms, m)
    assert fired or not split
    if fired:
        assert eig[-1] * NOISELESS_MIN_RCOND > m * eig[0] * (1 - 1e-9)
