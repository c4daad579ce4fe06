"""The optional Numba sweeps (kernel="numba") against the NumPy reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import kron_sparse, random_factors
from scipy.optimize import nnls

import krosbl
from krosbl.priors import coupling_matrix

pytest.importorskip("numba")

from krosbl import compiled


@pytest.mark.parametrize("method", ["am-krosbl", "ksbl", "pc-krosbl"])
@pytest.mark.parametrize("noise_var", [None, 1e-3])
def test_numba_sweeps_equal_the_numpy_sweeps(method: str, noise_var, is_complex: bool) -> None:
    rng = np.random.default_rng(3)
    in_shape, out_shape = (9, 8, 10), (6, 5, 7)
    factors = random_factors(rng, out_shape, in_shape, is_complex)
    x = kron_sparse(rng, in_shape, 3, is_complex, block=True)
    y = krosbl.Kron(factors) @ x
    y = y + 0.03 * rng.standard_normal(y.shape)
    numpy = krosbl.recover(y, factors, method, noise_var, max_iter=60)
    numba = krosbl.recover(y, factors, method, noise_var, max_iter=60, kernel="numba")
    assert numba.n_iter == numpy.n_iter
    assert numba.details.get("n_sweeps") == numpy.details.get("n_sweeps")
    np.testing.assert_array_equal(numba.support, numpy.support)
    assert np.linalg.norm(numba.x - numpy.x) <= 1e-10 * np.linalg.norm(numpy.x)
    for g_numba, g_numpy in zip(numba.gammas or [], numpy.gammas or []):
        np.testing.assert_allclose(g_numba, g_numpy, rtol=1e-10, atol=1e-10 * g_numpy.max())
    for i, g in numpy.details.get("uncoupled", {}).items():
        np.testing.assert_allclose(numba.details["uncoupled"][i], g, atol=1e-10 * g.max())


@pytest.mark.parametrize("method", ["am-krosbl", "pc-krosbl"])
def test_numba_sweeps_of_a_stack_equal_the_numpy_sweeps_one_by_one(method: str) -> None:
    """``recover_batch`` with ``kernel="numba"``: each problem as NumPy solves it alone."""
    rng = np.random.default_rng(5)
    in_shape, out_shape = (9, 8, 10), (6, 5, 7)
    factors = random_factors(rng, out_shape, in_shape, False)
    Y = np.array([krosbl.Kron(factors) @ kron_sparse(rng, in_shape, 3, False) for _ in range(3)])
    Y = Y + 0.03 * rng.standard_normal(Y.shape)
    stacked = krosbl.recover_batch(Y, factors, method, 1e-3, max_iter=60, kernel="numba")
    for y, res in zip(Y, stacked):
        alone = krosbl.recover(y, factors, method, 1e-3, max_iter=60)
        assert res.n_iter == alone.n_iter
        assert res.details["n_sweeps"] == alone.details["n_sweeps"]
        np.testing.assert_array_equal(res.support, alone.support)
        assert np.linalg.norm(res.x - alone.x) <= 1e-10 * np.linalg.norm(alone.x)


def test_numba_sweeps_with_one_factor_and_the_irs_preset() -> None:
    rng = np.random.default_rng(4)
    a = rng.standard_normal((12, 20))
    x = np.zeros(20)
    x[5:8] = 1.0
    y = a @ x + 0.01 * rng.standard_normal(12)
    for settings in (None, "irs"):
        if settings == "irs":
            factors = [a[:4, :6], a[4:8, :6], a[8:12, :6]]
            y = krosbl.Kron(factors) @ (rng.standard_normal(216) * (rng.random(216) < 0.05))
        else:
            factors = [a]
        numpy = krosbl.recover(y, factors, "pc-krosbl", 1e-4, settings=settings)
        numba = krosbl.recover(y, factors, "pc-krosbl", 1e-4, settings=settings, kernel="numba")
        assert np.linalg.norm(numba.x - numpy.x) <= 1e-10 * np.linalg.norm(numpy.x)


@pytest.mark.parametrize("n", [1, 4, 11, 18])
def test_nnls_matches_scipy_cold_and_warm(n: int) -> None:
    rng = np.random.default_rng(n)
    kernel = compiled._compiled()  # noqa: F841  (compiles the helpers)
    for beta in (0.0, 0.5, 0.8):
        c = coupling_matrix(n, beta)
        previous = np.zeros(n)
        for _ in range(30):
            b = rng.standard_normal(n) + 0.3
            expected = nnls(c, b)[0]
            for start in (np.zeros(n), previous, rng.random(n)):
                got = compiled._nnls(c, b, 3 * n, start)
                np.testing.assert_allclose(got, expected, atol=1e-12 * max(1.0, expected.max()))
            previous = expected


def test_numba_setting_is_checked() -> None:
    with pytest.raises(ValueError, match="kernel"):
        krosbl.SolverSettings("pc-krosbl", kernel="cuda")
    with pytest.raises(TypeError, match="kernel"):
        krosbl.recover(np.ones(4), [np.eye(2)] * 2, "svd-krosbl", kernel="numba")


def test_compiled_sweeps_equal_one_numpy_m_step() -> None:
    """Call the kernel itself on a captured E-step (so a kernel that is never reached fails)."""
    import copy

    from krosbl.updates import SweepUpdate

    rng = np.random.default_rng(6)
    factors = random_factors(rng, (5, 4, 6), (8, 7, 9), True)
    x = kron_sparse(rng, (8, 7, 9), 3, True, block=True)
    captured = []

    def keep(t: int, prior, post) -> None:
        if t in (1, 5):
            captured.append((copy.deepcopy(prior), post))

    krosbl.recover(krosbl.Kron(factors) @ x, factors, "pc-krosbl", 1e-3, callback=keep)
    for (prior, post), cap in itertools.product(captured, (1, 50)):
        lam = post.second_moment.reshape(prior.kept_shape)
        got, uncoupled, count, capped = compiled.sweeps(
            lam,
            prior.gammas,
            prior.couplings,
            floor=1e-5,
            tol=1e-4,
            relative=True,
            cap=cap,
            normalise=True,
            starts={},
        )
        rule = SweepUpdate(tol=1e-4, tol_type="rel", max_sweeps=cap)
        expected = copy.deepcopy(prior)
        rule.update(expected, post)
        assert (count, capped) == (rule.n_sweeps[-1], cap == 1)
        for g, e in zip(got, expected.gammas):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14 * e.max())
        assert uncoupled.keys() == rule.uncoupled.keys()


@pytest.mark.parametrize("method", ["am-krosbl", "ksbl", "pc-krosbl"])
@pytest.mark.parametrize("noise_var", [None, 1e-3])
def test_recover_batch_honours_the_numba_kernel(
    method: str, noise_var, is_complex: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    in_shape, out_shape = (9, 8, 10), (6, 5, 7)
    factors = random_factors(rng, out_shape, in_shape, is_complex)
    Y = []
    for b in range(3):
        y = krosbl.Kron(factors) @ kron_sparse(rng, in_shape, 2 + b % 2, is_complex, block=b == 1)
        Y.append(y + 0.03 * rng.standard_normal(y.shape))
    calls: list[int] = []
    sweeps = compiled.sweeps

    def counted(*args, **kwargs):
        calls.append(1)
        return sweeps(*args, **kwargs)

    monkeypatch.setattr(compiled, "sweeps", counted)
    batch = krosbl.recover_batch(np.array(Y), factors, method, noise_var, kernel="numba")
    assert len(calls) >= sum(r.n_iter for r in batch)  # one call per problem and M-step
    numpy = krosbl.recover_batch(np.array(Y), factors, method, noise_var)
    for y, b, n in zip(Y, batch, numpy):
        alone = krosbl.recover(y, factors, method, noise_var, kernel="numba")
        for other in (alone, n):
            assert b.n_iter == other.n_iter
            assert b.details.get("n_sweeps") == other.details.get("n_sweeps")
            np.testing.assert_array_equal(b.support, other.support)
            assert np.linalg.norm(b.x - other.x) <= 1e-9 * np.linalg.norm(other.x)
