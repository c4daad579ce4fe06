"""Kronecker SBL written plainly with dense matrices, run to convergence, against krosbl.

The reference forms ``A = A_1 ⊗ … ⊗ A_I`` with ``np.kron`` on the kept columns, the posterior
from the ``M × M`` covariance ``Σ_y`` (docs/theory.md, spec §2), and the M-steps of the paper
as written: SVD-KroSBL by ``np.linalg.svd`` of the unfoldings of ``Λ`` (spec §2.3), AM-KroSBL
by sweeps of the explicit target ``T_i`` until the relative change of ``⊗γ_i`` is below the
inner tolerance, then normalisation (spec §2.2), the learned noise update of spec §2.5 and
the pruning and stopping test of spec §2.1. It shares no code with krosbl.
"""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

import krosbl

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

TOL, MAX_ITER, PRUNE, INNER_TOL = 1e-9, 500, 1e-3, 1e-11


def _kron(vectors):
    return reduce(np.kron, vectors)


def _posterior(y, factors, keep, gammas, sigma2):
    """Dense E-step on the kept columns: mean, variances, ``Λ``, residual and dof."""
    a = _kron([f[:, k] for f, k in zip(factors, keep)])
    gamma = _kron(gammas)
    sigma_y = sigma2 * np.eye(len(y)) + (a * gamma) @ a.conj().T
    inverse = np.linalg.inv(sigma_y)
    mean = gamma * (a.conj().T @ inverse @ y)
    var = gamma - gamma**2 * np.real(np.einsum("mj,mk,kj->j", a.conj(), inverse, a))
    residual = float(np.sum(np.abs(y - a @ mean) ** 2))
    dof = float(np.sum(1 - var / gamma))
    return mean, var, var + np.abs(mean) ** 2, residual, dof


def _svd_step(lam, shape):
    gammas, rest = [], lam
    for n in shape[:-1]:
        u, s, vh = np.linalg.svd(rest.reshape(n, -1))
        gammas.append(np.abs(u[:, 0]))
        rest = s[0] * np.abs(vh[0])
    return [*gammas, rest]


def _target(lam, gammas, i):
    """``T_i[a] = (1/Π_{k≠i} l_k) Σ_{index_i=a} Λ[…]/Π_{k≠i} γ_k[index_k]``, from the dense
    ``⊗_{k≠i} γ_k`` (ones in place of ``γ_i``)."""
    shape = tuple(len(g) for g in gammas)
    others = _kron([np.ones(n) if k == i else g for k, (g, n) in enumerate(zip(gammas, shape))])
    ratio = np.moveaxis((lam / others).reshape(shape), i, 0).reshape(shape[i], -1)
    return ratio.sum(axis=1) / (len(lam) / shape[i])


def _am_step(lam, gammas):
    gammas = list(gammas)
    while True:
        previous = _kron(gammas)
        for i in range(len(gammas)):
            gammas[i] = _target(lam, gammas, i)
        if np.linalg.norm(_kron(gammas) - previous) <= INNER_TOL * np.linalg.norm(previous):
            break
    norms = [np.linalg.norm(g) for g in gammas[:-1]]
    return [g / n for g, n in zip(gammas, norms)] + [gammas[-1] * np.prod(norms)]


def _embedded(gammas, keep, in_shape):
    full = [np.zeros(n) for n in in_shape]
    for f, g, k in zip(full, gammas, keep):
        f[k] = g
    return _kron(full)


def dense_kron_sbl(y, factors, method, noise_var):
    """Kronecker SBL by the paper's equations with dense matrices; ``(x, σ², n_iter)``."""
    in_shape = [f.shape[1] for f in factors]
    keep = [np.arange(n) for n in in_shape]
    gammas = [np.ones(n) for n in in_shape]
    sigma2 = 0.1 * np.var(y, ddof=1) if noise_var is None else noise_var
    for t in range(1, MAX_ITER + 1):  # noqa: B007 (t is returned)
        old = _embedded(gammas, keep, in_shape)
        for i, g in enumerate(gammas):
            mask = g >= PRUNE * g.max()
            gammas[i], keep[i] = g[mask], keep[i][mask]
        _, _, lam, residual, dof = _posterior(y, factors, keep, gammas, sigma2)
        shape = [len(g) for g in gammas]
        gammas = _svd_step(lam, shape) if method == "svd-krosbl" else _am_step(lam, gammas)
        if noise_var is None:
            sigma2 = (residual + sigma2 * dof) / len(y)
        if np.linalg.norm(_embedded(gammas, keep, in_shape) - old) <= TOL * np.linalg.norm(old):
            break
    mean = _posterior(y, factors, keep, gammas, sigma2)[0]
    x = np.zeros(np.prod(in_shape), dtype=mean.dtype).reshape(in_shape)
    x[np.ix_(*keep)] = mean.reshape(shape)
    return x.ravel(), sigma2, t


def _problem(seed, complex_):
    rng = np.random.default_rng(seed)
    out_shape, in_shape = (4, 3, 4), (5, 4, 6)
    factors = [rng.standard_normal((m, n)) for m, n in zip(out_shape, in_shape)]
    if complex_:
        factors = [f + 1j * rng.standard_normal(f.shape) for f in factors]
    parts = []
    for n in in_shape:
        xi = np.zeros(n, dtype=complex if complex_ else float)
        xi[rng.choice(n, 2, replace=False)] = 0.5 + rng.random(2)
        parts.append(xi)
    y = _kron(factors) @ _kron(parts)
    noise = rng.standard_normal(y.shape) + (1j * rng.standard_normal(y.shape) if complex_ else 0)
    return y + 0.03 * noise, factors


@pytest.mark.parametrize("method", ["svd-krosbl", "am-krosbl"])
@pytest.mark.parametrize("noise_var", [None, 2e-3], ids=["learned", "known"])
def test_krosbl_equals_the_dense_reference(method, noise_var, is_complex):
    y, factors = _problem(3, is_complex)
    x_ref, sigma2_ref, n_ref = dense_kron_sbl(y, factors, method, noise_var)
    options = {"inner_tol": INNER_TOL, "inner_tol_type": "rel"} if method == "am-krosbl" else {}
    result = krosbl.recover(
        y,
        factors,
        method,
        noise_var,
        normalize=False,
        init="ones",
        prune_ratio=PRUNE,
        tol=TOL,
        max_iter=MAX_ITER,
        **options,
    )
    assert result.converged and n_ref < MAX_ITER
    assert abs(result.n_iter - n_ref) <= 1
    np.testing.assert_array_equal(result.support, np.flatnonzero(x_ref))
    assert np.linalg.norm(result.x - x_ref) <= 1e-7 * np.linalg.norm(x_ref)
    np.testing.assert_allclose(result.noise_var, sigma2_ref, rtol=1e-7)
