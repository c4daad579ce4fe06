"""Several snapshots sharing one support (M-SBL): ``recover(Y, A, method)`` with ``Y`` (M, T).

Held against a dense M-SBL written plainly here (Wipf & Rao, IEEE TSP 2007), against the
single-snapshot solve (``T = 1``, and ``T`` copies of one snapshot), and on the recovery of a
common support that one snapshot alone misses.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_factors

import krosbl
from krosbl.methods import METHODS

SBL_METHODS = ["sbl", "pc-sbl", "am-krosbl", "svd-krosbl", "pc-krosbl", "ksbl"]
IN_SHAPE, OUT_SHAPE = (6, 7), (4, 5)


def _problem(seed: int, complex_: bool, t: int = 4):
    """``Y = A X + N`` with ``X`` of ``t`` columns on one Kronecker support."""
    rng = np.random.default_rng(seed)
    factors = random_factors(rng, OUT_SHAPE, IN_SHAPE, complex_)
    support = np.kron(np.eye(6)[[1, 2]].sum(0), np.eye(7)[[4, 5]].sum(0)).astype(bool)
    X = np.zeros((42, t), dtype=complex if complex_ else float)
    X[support] = rng.standard_normal((4, t)) + (1j * rng.standard_normal((4, t)) if complex_ else 0)
    Y = krosbl.Kron(factors) @ X
    Y = Y + 0.05 * (
        rng.standard_normal(Y.shape) + (1j * rng.standard_normal(Y.shape) if complex_ else 0)
    )
    return Y, factors, X, np.flatnonzero(support)


def _dense_posterior(Y, A, gamma, sigma2):
    """Plain dense M-SBL E-step: means (N, T), variances, mean residual and dof."""
    sigma_y = sigma2 * np.eye(A.shape[0]) + (A * gamma) @ A.conj().T
    inverse = np.linalg.inv(sigma_y)
    mean = gamma[:, None] * (A.conj().T @ inverse @ Y)
    var = gamma - gamma**2 * np.real(np.einsum("mn,mk,kn->n", A.conj(), inverse, A))
    residual = np.sum(np.abs(Y - A @ mean) ** 2) / Y.shape[1]
    return mean, var, residual, np.sum(1 - var / gamma)


def _dense_msbl(Y, A, sigma2, iterations, gamma_update):
    """Dense M-SBL: ``γ ← gamma_update(d + (1/T) Σ_t |μ_t|²)``; σ² learned when ``None``."""
    learn = sigma2 is None
    if learn:
        sigma2 = 0.1 * np.mean(np.var(Y, axis=0, ddof=1))
    gamma = np.ones(A.shape[1])
    for _ in range(iterations):
        mean, var, residual, dof = _dense_posterior(Y, A, gamma, sigma2)
        gamma = gamma_update(var + np.mean(np.abs(mean) ** 2, axis=1))
        if learn:
            sigma2 = (residual + sigma2 * dof) / A.shape[0]
    mean, var, _, _ = _dense_posterior(Y, A, gamma, sigma2)
    return mean, var, sigma2


def _rank_one_svd(lam):
    """SVD-KroSBL's M-step for two factors, densely: ``|u_1| ⊗ s_1|v_1|``."""
    u, s, vh = np.linalg.svd(lam.reshape(IN_SHAPE))
    return np.kron(np.abs(u[:, 0]), s[0] * np.abs(vh[0]))


@pytest.mark.parametrize(("method", "gamma_update"), [("sbl", None), ("svd-krosbl", _rank_one_svd)])
@pytest.mark.parametrize("noise_var", [None, 2e-3])
def test_equals_a_dense_msbl(method, gamma_update, noise_var, is_complex: bool) -> None:
    Y, factors, _, _ = _problem(1, is_complex)
    A = np.kron(*factors)
    dictionary = factors if method != "sbl" else krosbl.Kron(factors)
    iterations = 12
    result = krosbl.recover(
        Y,
        dictionary,
        method,
        noise_var,
        prune_ratio=None,
        tol=0.0,
        max_iter=iterations,
        normalize=False,
    )
    mean, var, sigma2 = _dense_msbl(Y, A, noise_var, iterations, gamma_update or (lambda g: g))
    assert result.x.shape == (42, Y.shape[1]) and result.x_var.shape == (42,)
    assert result.n_iter == iterations
    np.testing.assert_allclose(result.x, mean, rtol=1e-8, atol=1e-10 * np.abs(mean).max())
    np.testing.assert_allclose(result.x_var, var, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(result.noise_var, sigma2, rtol=1e-9)


@pytest.mark.parametrize("method", SBL_METHODS)
@pytest.mark.parametrize("noise_var", [None, 2e-3])
def test_one_snapshot_and_copies_of_one_give_the_single_vector_result(
    method: str, noise_var, is_complex: bool
) -> None:
    Y, factors, _, _ = _problem(2, is_complex)
    dictionary = factors if METHODS[method].kronecker else krosbl.Kron(factors)
    alone = krosbl.recover(Y[:, 0], dictionary, method, noise_var)
    column = krosbl.recover(Y[:, :1], dictionary, method, noise_var)
    assert column.x.shape == (42, 1)
    np.testing.assert_array_equal(column.x[:, 0], alone.x)  # T = 1: the same arithmetic
    np.testing.assert_array_equal(column.x_var, alone.x_var)
    copies = krosbl.recover(np.repeat(Y[:, :1], 3, axis=1), dictionary, method, noise_var)
    assert copies.n_iter == alone.n_iter
    np.testing.assert_array_equal(copies.support, alone.support)
    for t in range(3):
        np.testing.assert_allclose(copies.x[:, t], alone.x, atol=1e-9 * np.abs(alone.x).max())


@pytest.mark.parametrize(
    "method",
    [pytest.param(m, marks=pytest.mark.slow) if m == "sbl" else m for m in SBL_METHODS],
)
def test_the_snapshots_together_beat_each_alone(method: str, is_complex: bool) -> None:
    Y, factors, X, support = _problem(3, is_complex, t=8)
    Y = Y + 0.5 * np.random.default_rng(9).standard_normal(Y.shape)  # hard for one alone
    noise_var = 0.25 + 0.05**2 * (2 if is_complex else 1)
    dictionary = factors if METHODS[method].kronecker else krosbl.Kron(factors)
    joint = krosbl.recover(Y, dictionary, method, noise_var)
    error = np.linalg.norm(joint.x - X) ** 2 / np.linalg.norm(X) ** 2
    alone = np.column_stack([krosbl.recover(y, dictionary, method, noise_var).x for y in Y.T])
    error_alone = np.linalg.norm(alone - X) ** 2 / np.linalg.norm(X) ** 2
    assert error < error_alone, (error, error_alone)
    top = np.argsort(-np.linalg.norm(joint.x, axis=1))[: len(support)]
    assert set(top) == set(support)


def test_methods_without_snapshots_say_which_have_them() -> None:
    Y, factors, _, _ = _problem(4, False)
    with pytest.raises(ValueError, match=r"takes one measurement vector.*'svd-krosbl'"):
        krosbl.recover(Y, factors, "kron-omp", 1e-3)
    with pytest.raises(ValueError, match=r"one row per dictionary row \(20\)"):
        krosbl.recover(Y.T, factors, "svd-krosbl", 1e-3)
    Y[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        krosbl.recover(Y, factors, "svd-krosbl", 1e-3)


def test_estimators_fit_snapshots() -> None:
    Y, factors, X, _ = _problem(5, False)
    est = krosbl.SVDKroSBL(noise_var=2.5e-3).fit(factors, Y)
    assert est.coef_.shape == X.shape and est.coef_var_.shape == (42,)
    np.testing.assert_allclose(est.predict(factors), krosbl.Kron(factors) @ est.coef_)
    np.testing.assert_array_equal(est.coef_, krosbl.recover(Y, factors, "svd-krosbl", 2.5e-3).x)


def _dense_multitask(Y, As, sigma2, iterations, gamma_update):
    """Plain dense multi-task SBL (Ji, Dunson & Carin 2009): one ``γ``, a posterior per task."""
    learn = sigma2 is None
    if learn:
        sigma2 = 0.1 * np.mean(np.var(Y, axis=0, ddof=1))
    gamma = np.ones(As[0].shape[1])
    for _ in range(iterations):
        parts = [_dense_posterior(Y[:, [t]], A, gamma, sigma2) for t, A in enumerate(As)]
        lam = np.mean([v + np.abs(m[:, 0]) ** 2 for m, v, _, _ in parts], axis=0)
        gamma = gamma_update(lam)
        if learn:
            residual = np.mean([r for _, _, r, _ in parts])
            dof = np.mean([d for _, _, _, d in parts])
            sigma2 = (residual + sigma2 * dof) / As[0].shape[0]
    parts = [_dense_posterior(Y[:, [t]], A, gamma, sigma2) for t, A in enumerate(As)]
    return np.column_stack([m[:, 0] for m, *_ in parts]), np.column_stack([v for _, v, *_ in parts])


@pytest.mark.parametrize(("method", "gamma_update"), [("sbl", None), ("svd-krosbl", _rank_one_svd)])
@pytest.mark.parametrize("noise_var", [None, 2e-3])
def test_tasks_equal_a_dense_multitask_sbl(method, gamma_update, noise_var, is_complex) -> None:
    rng = np.random.default_rng(6)
    Y, _, _, _ = _problem(6, is_complex, t=3)
    tasks = [random_factors(rng, OUT_SHAPE, IN_SHAPE, is_complex) for _ in range(3)]
    dictionaries = tasks if method != "sbl" else [np.kron(*f) for f in tasks]
    result = krosbl.recover_tasks(
        Y, dictionaries, method, noise_var, prune_ratio=None, tol=0.0, max_iter=10,
        normalize=False,
    )  # fmt: skip
    mean, var = _dense_multitask(
        Y, [np.kron(*f) for f in tasks], noise_var, 10, gamma_update or (lambda g: g)
    )
    assert result.x.shape == (42, 3) and result.x_var.shape == (42, 3)
    np.testing.assert_allclose(result.x, mean, rtol=1e-8, atol=1e-10 * np.abs(mean).max())
    np.testing.assert_allclose(result.x_var, var, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("method", SBL_METHODS)
def test_tasks_of_one_dictionary_are_snapshots(method: str, is_complex: bool) -> None:
    Y, factors, _, _ = _problem(7, is_complex)
    dictionary = factors if METHODS[method].kronecker else krosbl.Kron(factors)
    snapshots = krosbl.recover(Y, dictionary, method, 2e-3)
    tasks = krosbl.recover_tasks(Y, [dictionary] * Y.shape[1], method, 2e-3)
    assert tasks.n_iter == snapshots.n_iter
    np.testing.assert_array_equal(tasks.support, snapshots.support)
    np.testing.assert_allclose(tasks.x, snapshots.x, atol=1e-9 * np.abs(snapshots.x).max())
    np.testing.assert_allclose(tasks.x_var, np.tile(snapshots.x_var[:, None], (1, Y.shape[1])))


def test_tasks_refuse_what_does_not_fit() -> None:
    Y, factors, _, _ = _problem(8, False, t=2)
    other = [np.ones((4, 7)), np.ones((5, 6))]
    with pytest.raises(ValueError, match="dictionary 1 has the shape"):
        krosbl.recover_tasks(Y, [factors, other], "svd-krosbl", 1e-3)
    with pytest.raises(ValueError, match="Y has 2 columns but there are 3 dictionaries"):
        krosbl.recover_tasks(Y, [factors] * 3, "svd-krosbl", 1e-3)
    for method in ("kron-omp", "omp"):
        with pytest.raises(ValueError, match="no multi-task form"):
            krosbl.recover_tasks(Y, [factors] * 2, method, 1e-3)


def _rank_one_snapshots(seed: int, t: int, complex_: bool):
    """``Y = A X + N`` with rank-one columns ``x_t = g_t (u ⊗ v_t)`` on one factor support."""
    rng = np.random.default_rng(seed)
    factors = random_factors(rng, (5, 6), (9, 10), complex_)
    columns = []
    for _ in range(t):
        u, v = np.zeros(9, dtype=complex), np.zeros(10, dtype=complex)
        u[[2, 3]] = rng.standard_normal(2) + (1j * rng.standard_normal(2) if complex_ else 0)
        v[[6]] = rng.standard_normal(1) + (1j * rng.standard_normal(1) if complex_ else 0)
        columns.append(np.kron(u, v) if complex_ else np.kron(u, v).real)
    X = np.column_stack(columns)
    Y = krosbl.Kron(factors) @ X + 0.02 * rng.standard_normal((30, t))
    return Y, factors, X


def test_dkrosbl_snapshots_share_the_factor_supports(is_complex: bool) -> None:
    Y, factors, X = _rank_one_snapshots(10, 4, is_complex)
    joint = krosbl.recover(Y, factors, "dkrosbl", 4e-4)
    assert joint.x.shape == X.shape and joint.x_var.shape == X.shape
    assert set(np.flatnonzero(np.abs(X).sum(axis=1) > 0)) <= set(joint.support)
    assert np.linalg.norm(joint.x - X) < 0.1 * np.linalg.norm(X)
    alone = krosbl.recover(Y[:, 0], factors, "dkrosbl", 4e-4)
    copies = krosbl.recover(np.repeat(Y[:, :1], 3, axis=1), factors, "dkrosbl", 4e-4)
    for t in range(3):  # copies of one snapshot: the one-vector estimate in every column
        np.testing.assert_allclose(copies.x[:, t], alone.x, atol=1e-9 * np.abs(alone.x).max())
    tasks = krosbl.recover_tasks(Y, [factors] * 4, "dkrosbl", 4e-4)
    np.testing.assert_allclose(tasks.x, joint.x, atol=1e-9 * np.abs(joint.x).max())


def _plain_somp(Y, A, noise_var, max_atoms):
    """Simultaneous OMP written plainly: the atom of largest ``‖a_jᴴ R‖``, then least squares."""
    chosen: list[int] = []
    R = Y.copy()
    while np.linalg.norm(R) > np.sqrt(noise_var * Y.size) and len(chosen) < max_atoms:
        chosen.append(int(np.argmax(np.linalg.norm(A.conj().T @ R, axis=1))))
        coef = np.linalg.lstsq(A[:, chosen], Y, rcond=None)[0]
        R = Y - A[:, chosen] @ coef
    X = np.zeros((A.shape[1], Y.shape[1]), dtype=np.result_type(A, Y))
    X[chosen] = coef
    return X, sorted(chosen)


def test_simultaneous_omp_equals_a_plain_one(is_complex: bool) -> None:
    Y, factors, _, support = _problem(11, is_complex, t=5)
    A = np.kron(*factors)
    noise_var = 2.5e-3 * (2 if is_complex else 1)
    result = krosbl.recover(Y, A, "omp", noise_var)
    expected, chosen = _plain_somp(Y, A, noise_var, 20)
    np.testing.assert_array_equal(result.support, chosen)
    np.testing.assert_allclose(result.x, expected, atol=1e-10 * np.abs(expected).max())
    alone = krosbl.recover(Y[:, 0], A, "omp", noise_var / 5)
    column = krosbl.recover(Y[:, :1], A, "omp", noise_var / 5)
    np.testing.assert_array_equal(column.x[:, 0], alone.x)  # T = 1: the same arithmetic
    oracle = krosbl.recover(Y, A, "oracle-ls", support=support)
    np.testing.assert_allclose(
        oracle.x[support], np.linalg.lstsq(A[:, support], Y, rcond=None)[0], atol=1e-12
    )
