"""Tests for krosbl.greedy: Kronecker OMP, OMP and oracle least squares (theory-greedy)."""

from __future__ import annotations

import dataclasses
from functools import reduce

import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.linalg import aslinearoperator

from krosbl.greedy import GreedyFit, kron_omp, omp, oracle_ls
from krosbl.operators import Kron
from krosbl.reference import FIXTURES_DIR

REFERENCE = FIXTURES_DIR
SYN = ["syn_p01", "syn_p02", "syn_p03"]
DTYPES = [np.float64, np.complex128]


# ------------------------------------------------------------------------------------------
# helpers


def _randn(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    if np.issubdtype(dtype, np.complexfloating):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)
    return rng.standard_normal(shape)


def _kron_sparse_problem(
    rng: np.random.Generator,
    ms: tuple[int, ...],
    ns: tuple[int, ...],
    k: int,
    dtype: type,
) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
    """Random unit-norm-column factors and x = x_1 ⊗ … ⊗ x_I with k nonzeros per factor."""
    factors = [_randn(rng, (m, n), dtype) for m, n in zip(ms, ns, strict=True)]
    factors = [f / np.linalg.norm(f, axis=0) for f in factors]
    parts, supports = [], []
    for n in ns:
        s = np.sort(rng.choice(n, size=k, replace=False))
        v = np.zeros(n, dtype=dtype)
        v[s] = _randn(rng, (k,), dtype) + np.sign(rng.standard_normal(k))  # away from 0
        parts.append(v)
        supports.append(s)
    return factors, reduce(np.kron, parts), supports


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _srr(x_hat: np.ndarray, x: np.ndarray) -> float:
    """Support recovery rate (docs/theory.md, theory-srr)."""
    mx = np.max(np.abs(x_hat))
    est = set(np.flatnonzero(np.abs(x_hat) > 1e-3 * mx).tolist()) if mx > 0 else set()
    true = set(np.flatnonzero(x).tolist())
    return len(est & true) / len(est | true)


def _dense_kron_omp(y, factors, caps, tol):
    """Slow, obviously-correct KOMP: dense Kronecker correlations and dense D with lstsq."""
    A = reduce(np.kron, factors)
    ns = tuple(f.shape[1] for f in factors)
    sel: list[list[int]] = [[] for _ in factors]
    r = y.copy()
    n_iter = 0
    c = None
    while True:
        n_iter += 1
        j = int(np.argmax(np.abs(A.conj().T @ r)))
        added = False
        for i, a in enumerate(np.unravel_index(j, ns)):
            if int(a) not in sel[i] and len(sel[i]) < caps[i]:
                sel[i].append(int(a))
                added = True
        D = reduce(np.kron, [f[:, s] for f, s in zip(factors, sel, strict=True)])
        c = np.linalg.lstsq(D, y, rcond=None)[0]
        r = y - D @ c
        done = all(len(s) == cap for s, cap in zip(sel, caps, strict=True))
        if not added or done or np.linalg.norm(r) <= tol * np.linalg.norm(y):
            break
    X = np.zeros(ns, dtype=np.result_type(y, A))
    X[np.ix_(*sel)] = c.reshape([len(s) for s in sel])
    return X.ravel(), sel, n_iter


def _dense_omp(y, A, threshold, cap):
    """Slow, obviously-correct OMP: lstsq on the selected columns at every step."""
    sel: list[int] = []
    r = y.copy()
    c = np.zeros(0)
    while np.linalg.norm(r) > threshold and len(sel) < cap:
        sel.append(int(np.argmax(np.abs(A.conj().T @ r))))
        c = np.linalg.lstsq(A[:, sel], y, rcond=None)[0]
        r = y - A[:, sel] @ c
    x = np.zeros(A.shape[1], dtype=np.result_type(y, A))
    x[sel] = c
    return x, sel


@pytest.fixture(scope="module", params=SYN)
def syn(request):
    with np.load(REFERENCE / f"{request.param}.npz") as z:
        data = {k: z[k] for k in z.files}
    data["name"] = request.param
    data["factors"] = [data["A1"], data["A2"], data["A3"]]
    return data


@pytest.fixture
def no_todense(monkeypatch):
    """Make any densification of a Kron fail loudly."""

    def boom(self):
        raise AssertionError("Kron.todense must not be called")

    monkeypatch.setattr(Kron, "todense", boom)


# ------------------------------------------------------------------------------------------
# noiseless recovery


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(3))
def test_kron_omp_noiseless_recovery(dtype, seed, no_todense):
    rng = np.random.default_rng(seed)
    factors, x, supports = _kron_sparse_problem(rng, (16, 16, 16), (20, 20, 20), 2, dtype)
    y = Kron(factors) @ x
    fit = kron_omp(y, factors, sparsity=2, tol=1e-10)
    assert _rel(fit.x, x) < 1e-10
    assert fit.x.dtype == np.dtype(dtype)
    assert fit.factor_support is not None
    for sel, s in zip(fit.factor_support, supports, strict=True):
        assert sorted(sel.tolist()) == s.tolist()
    np.testing.assert_array_equal(fit.support, np.flatnonzero(x))
    assert fit.residual_norm < 1e-10 * np.linalg.norm(y)
    # the same with a Kron operator and a tensor-shaped y
    fit2 = kron_omp(y.reshape(16, 16, 16), Kron(factors), sparsity=(2, 2, 2), tol=1e-10)
    np.testing.assert_allclose(fit2.x, fit.x, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(3))
def test_kron_omp_stops_on_tolerance(dtype, seed):
    rng = np.random.default_rng(seed)
    factors, x, _ = _kron_sparse_problem(rng, (24, 24), (40, 40), 2, dtype)
    y = np.kron(*factors) @ x
    fit = kron_omp(y, factors, sparsity=(10, 10), tol=1e-10)
    # exact fit once the true support is found; the caps (10) are never reached
    assert _rel(fit.x, x) < 1e-10
    assert fit.factor_support is not None
    assert [len(s) for s in fit.factor_support] == [2, 2]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["kron", "dense", "linop", "sparse"])
def test_omp_noiseless_recovery(dtype, kind, no_todense):
    rng = np.random.default_rng(21)
    factors, x, _ = _kron_sparse_problem(rng, (24, 24), (40, 40), 2, dtype)
    op = Kron(factors)
    A = {
        "kron": op,
        "dense": np.kron(*factors),
        "linop": aslinearoperator(np.kron(*factors)),
        "sparse": csr_array(np.kron(*factors)),
    }[kind]
    y = op @ x
    fit = omp(y, A)
    assert _rel(fit.x, x) < 1e-10
    np.testing.assert_array_equal(fit.support, np.flatnonzero(x))
    assert fit.n_iter == 4
    assert fit.factor_support is None
    # with a noise level the σ√M rule stops at the same place
    fit_nv = omp(y, A, noise_var=1e-12)
    np.testing.assert_array_equal(fit_nv.support, fit.support)


@pytest.mark.parametrize("dtype", DTYPES)
def test_oracle_ls_noiseless_recovery(dtype, no_todense):
    rng = np.random.default_rng(31)
    factors, x, _ = _kron_sparse_problem(rng, (5, 6, 7), (9, 9, 9), 3, dtype)
    y = Kron(factors) @ x
    support = np.flatnonzero(x)
    fit = oracle_ls(y, Kron(factors), rng.permutation(support))
    assert _rel(fit.x, x) < 1e-10
    np.testing.assert_array_equal(fit.support, support)
    assert fit.n_iter == 1
    assert fit.time_s == 0.0
    # a boolean mask is accepted too
    fit_mask = oracle_ls(y, reduce(np.kron, factors), x != 0)
    np.testing.assert_allclose(fit_mask.x, fit.x, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------------
# against slow dense computations


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(4))
def test_kron_omp_matches_dense_reference(dtype, seed):
    rng = np.random.default_rng(100 + seed)
    ms, ns = (4, 5, 6), (7, 6, 8)
    factors, x, _ = _kron_sparse_problem(rng, ms, ns, 2, dtype)
    y0 = Kron(factors) @ x
    y = y0 + 0.3 * np.linalg.norm(y0) / np.sqrt(y0.size) * _randn(rng, (y0.size,), dtype)
    # caps above M_1 = 4 exercise the minimum-norm (rank-deficient) least squares
    caps = (6, 4, 5)
    ref_x, ref_sel, ref_iter = _dense_kron_omp(y, factors, caps, 1e-2)
    fit = kron_omp(y, factors, caps, tol=1e-2)
    assert fit.factor_support is not None
    assert [s.tolist() for s in fit.factor_support] == ref_sel
    assert fit.n_iter == ref_iter
    assert _rel(fit.x, ref_x) < 1e-9
    assert fit.residual_norm == pytest.approx(
        np.linalg.norm(y - reduce(np.kron, factors) @ fit.x), rel=1e-9
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_kron_omp_first_selection_is_dense_argmax(dtype):
    rng = np.random.default_rng(7)
    factors = [_randn(rng, (m, n), dtype) for m, n in [(3, 5), (4, 6), (5, 4)]]
    y = _randn(rng, (60,), dtype)
    j = int(np.argmax(np.abs(reduce(np.kron, factors).conj().T @ y)))
    fit = kron_omp(y, factors, sparsity=1)  # stops after one iteration: every cap reached
    assert fit.n_iter == 1
    assert fit.factor_support is not None
    assert tuple(int(s[0]) for s in fit.factor_support) == np.unravel_index(j, (5, 6, 4))
    np.testing.assert_array_equal(fit.support, [j])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(3))
def test_omp_matches_dense_reference(dtype, seed):
    rng = np.random.default_rng(200 + seed)
    factors, x, _ = _kron_sparse_problem(rng, (5, 6, 7), (7, 7, 7), 2, dtype)
    A = reduce(np.kron, factors)
    y0 = A @ x
    noise_var = 0.01 * np.linalg.norm(y0) ** 2 / y0.size
    y = y0 + np.sqrt(noise_var) * _randn(rng, (y0.size,), dtype)
    threshold = np.sqrt(noise_var) * np.sqrt(y.size)
    ref_x, ref_sel = _dense_omp(y, A, threshold, y.size)
    fit = omp(y, Kron(factors), noise_var=noise_var)
    assert fit.n_iter == len(ref_sel)
    np.testing.assert_array_equal(fit.support, np.sort(ref_sel))
    assert _rel(fit.x, ref_x) < 1e-9
    # the stopping rule: below σ√M now, above it one atom earlier
    assert fit.residual_norm <= threshold
    earlier = omp(y, Kron(factors), max_atoms=fit.n_iter - 1)
    assert earlier.residual_norm > threshold
    # a cap on the number of atoms is honoured
    capped = omp(y, A, noise_var=noise_var, max_atoms=3)
    assert capped.n_iter == 3
    ref_capped, _ = _dense_omp(y, A, threshold, 3)
    assert _rel(capped.x, ref_capped) < 1e-9


@pytest.mark.parametrize("dtype", DTYPES)
def test_oracle_ls_matches_pinv(dtype):
    rng = np.random.default_rng(5)
    A = _randn(rng, (20, 40), dtype)
    y = _randn(rng, (20,), dtype)
    support = np.array([3, 30, 7, 12])
    fit = oracle_ls(y, A, support)
    ref = np.zeros(40, dtype=dtype)
    ref[support] = np.linalg.pinv(A[:, support]) @ y
    assert _rel(fit.x, ref) < 1e-12
    # more indices than rows: the minimum-norm solution
    wide = np.arange(0, 40, 3)[:14]
    fit_wide = oracle_ls(y, A, wide)
    ref_wide = np.zeros(40, dtype=dtype)
    ref_wide[wide] = np.linalg.pinv(A[:, wide]) @ y
    assert _rel(fit_wide.x, ref_wide) < 1e-10


def test_real_dictionary_complex_measurements():
    rng = np.random.default_rng(3)
    factors = [rng.standard_normal((4, 6)), rng.standard_normal((5, 6))]
    y = _randn(rng, (20,), np.complex128)
    for fit in (
        kron_omp(y, factors, 3),
        omp(y, Kron(factors), max_atoms=5),
        oracle_ls(y, Kron(factors), [0, 7, 20]),
    ):
        assert fit.x.dtype == np.complex128
        assert fit.residual_norm == pytest.approx(
            np.linalg.norm(y - np.kron(*factors) @ fit.x), rel=1e-10
        )


def test_zero_measurements():
    rng = np.random.default_rng(4)
    factors = [rng.standard_normal((4, 6)), rng.standard_normal((5, 6))]
    y = np.zeros(20)
    for fit in (kron_omp(y, factors, 3), omp(y, Kron(factors)), omp(y, np.kron(*factors))):
        assert fit.n_iter == 0
        assert not np.any(fit.x)
        assert fit.support.size == 0


def test_greedy_fit_is_frozen():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((10, 20))
    fit = omp(A[:, 3] * 2.0, A)
    assert isinstance(fit, GreedyFit)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.n_iter = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        fit.x[0] = 1.0
    assert fit.support.dtype == np.int64
    assert fit.time_s >= 0.0


# ------------------------------------------------------------------------------------------
# reference fixtures (the authors' MATLAB under Octave)


def test_fixture_kron_omp(syn, no_todense):
    fit = kron_omp(syn["y"], syn["factors"], sparsity=(10, 10, 10), tol=1e-2)
    ref = syn["komp_x"]
    assert _rel(fit.x, ref) <= 1e-6
    x = syn["x_true"]
    nmse = np.linalg.norm(fit.x - x) ** 2 / np.linalg.norm(x) ** 2
    assert nmse == pytest.approx(float(syn["komp_nmse"]), rel=1e-6)
    assert _srr(fit.x, x) == pytest.approx(float(syn["komp_srr"]), rel=1e-12)
    # the selected grid is exactly the reference's nonzero pattern
    np.testing.assert_array_equal(fit.support, np.flatnonzero(ref))
    assert fit.factor_support is not None
    if syn["name"] == "syn_p02":
        # s_1 = 10 > M_1 = 6: the published setting; S_1 fills R^6 and the run ends on
        # "nothing added" with S_2, S_3 at their caps
        assert int(syn["M1"]) == 6
        assert [len(s) for s in fit.factor_support] == [6, 10, 10]


def test_fixture_oracle_ls(syn, no_todense):
    fit = oracle_ls(syn["y"], Kron(syn["factors"]), syn["suppTrue_idx0"])
    assert _rel(fit.x, syn["ols_x"]) <= 1e-6
    x = syn["x_true"]
    nmse = np.linalg.norm(fit.x - x) ** 2 / np.linalg.norm(x) ** 2
    assert nmse == pytest.approx(float(syn["ols_nmse"]), rel=1e-6)


def test_fixture_omp(syn, no_todense):
    fit = omp(syn["y"], Kron(syn["factors"]), noise_var=float(syn["noise_var"]))
    ref = syn["omp_x"]
    assert _rel(fit.x, ref) <= 1e-6
    np.testing.assert_array_equal(fit.support, np.flatnonzero(ref))
    assert fit.n_iter == np.count_nonzero(ref)
    x = syn["x_true"]
    # omp_nmse is the unsquared ratio ‖x̂ − x‖/‖x‖ (fixture README)
    ratio = np.linalg.norm(fit.x - x) / np.linalg.norm(x)
    assert ratio == pytest.approx(float(syn["omp_nmse"]), rel=1e-6)
    assert ratio**2 != pytest.approx(float(syn["omp_nmse"]), rel=1e-3)
    assert _srr(fit.x, x) == pytest.approx(float(syn["omp_srr"]), rel=1e-12)


# ------------------------------------------------------------------------------------------
# bad input


@pytest.fixture
def small():
    rng = np.random.default_rng(9)
    factors = [rng.standard_normal((3, 4)), rng.standard_normal((4, 5))]
    return factors, rng.standard_normal(12)


def test_omp_more_atoms_than_measurements(small):
    factors, y = small
    with pytest.raises(ValueError, match=r"max_atoms=13 exceeds the number of measurements M=12"):
        omp(y, Kron(factors), max_atoms=13)
    with pytest.raises(ValueError, match="max_atoms"):
        omp(y, np.kron(*factors), max_atoms=-1)
    with pytest.raises(ValueError, match="columns"):
        omp(y, np.ones((12, 5)), max_atoms=6)


def test_omp_bad_noise_and_shapes(small):
    factors, y = small
    with pytest.raises(ValueError, match="noise_var"):
        omp(y, Kron(factors), noise_var=-1.0)
    with pytest.raises(ValueError, match="noise_var"):
        omp(y, Kron(factors), noise_var=float("nan"))
    with pytest.raises(ValueError, match="12 rows"):
        omp(y[:-1], Kron(factors))
    with pytest.raises(ValueError, match="NaN"):
        omp(np.full(12, np.nan), Kron(factors))
    with pytest.raises(ValueError, match="2-D"):
        omp(y, np.ones(12))
    with pytest.raises(ValueError, match="empty"):
        omp(np.array([]), np.ones((0, 3)))


def test_kron_omp_bad_input(small):
    factors, y = small
    with pytest.raises(ValueError, match="2 factors"):
        kron_omp(y, factors, sparsity=(2, 2, 2))
    with pytest.raises(ValueError, match="sparsity level 0"):
        kron_omp(y, factors, sparsity=(0, 2))
    # a level above N_i selects at most N_i columns: the same fit as the level N_i
    capped, exact = kron_omp(y, factors, sparsity=(2, 60)), kron_omp(y, factors, sparsity=(2, 5))
    assert np.array_equal(capped.x, exact.x)
    assert all(map(np.array_equal, capped.factor_support or (), exact.factor_support or ()))
    with pytest.raises(ValueError, match="tol"):
        kron_omp(y, factors, sparsity=2, tol=-1.0)
    with pytest.raises(ValueError, match="12 rows"):
        kron_omp(np.ones(11), factors, sparsity=2)
    with pytest.raises(TypeError, match="factors"):
        kron_omp(y, aslinearoperator(np.kron(*factors)), sparsity=2)
    with pytest.raises(ValueError, match="NaN"):
        kron_omp(y, [factors[0], np.full((4, 5), np.inf)], sparsity=2)


@pytest.mark.parametrize(
    ("support", "message"),
    [
        (None, "needs a support"),
        ([], "support is empty"),
        (np.array([], dtype=np.int64), "support is empty"),
        ([0, 20], r"out of range 0\.\.19: \[20\]"),
        ([-1, 3], r"out of range 0\.\.19: \[-1\]"),
        ([2, 5, 2], r"duplicate indices: \[2\]"),
        ([1.0, 2.0], "integer"),
        ([[1, 2]], "1-D"),
        (np.ones(7, dtype=bool), "boolean support mask"),
    ],
)
def test_oracle_ls_bad_support(small, support, message):
    factors, y = small
    with pytest.raises(ValueError, match=message):
        oracle_ls(y, Kron(factors), support)
