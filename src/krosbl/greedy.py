"""Greedy and oracle baselines: OMP, Kronecker OMP and oracle least squares (spec §5).

All three return a :class:`GreedyFit`.  Indices are 0-based flat indices into ``x`` in
``numpy.kron`` order (the first factor varies slowest): for factors of sizes ``(N_1, …, N_I)``
the entry ``(i_1, …, i_I)`` has flat index
``np.ravel_multi_index((i_1, …, i_I), (N_1, …, N_I))``.
Real and complex problems share one code path; the estimate's dtype is
``numpy.result_type`` of the inputs (at least float64).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import solve_triangular
from scipy.sparse.linalg import LinearOperator

from krosbl.operators import Kron, kron_vector, multi_mode_product

__all__ = ["GreedyFit", "kron_omp", "omp", "oracle_ls"]


@dataclass(frozen=True, eq=False)
class GreedyFit:
    """Result of a greedy or oracle solver.

    Attributes
    ----------
    x : ndarray, shape (N,)
        Full-length estimate; zero outside ``support``.  Read-only.
    support : ndarray of int64
        Sorted flat indices of the selected columns (the entries the least-squares fit was
        allowed to make nonzero).  For Kronecker OMP this is the whole grid
        ``S_1 × … × S_I``.  Read-only.
    n_iter : int
        OMP: atoms selected (one per iteration).  Kronecker OMP: iterations run, including
        the last one (which may have added nothing).  Oracle LS: 1 (a single solve).
    time_s : float
        Wall-clock seconds of the solve (``time.perf_counter``).  Kronecker OMP and OMP are
        timed whole; oracle LS reports 0.0, as the paper's timing convention does (spec §6.5).
    residual_norm : float
        ``‖y − A x‖₂`` of the returned estimate.
    factor_support : tuple of ndarray of int64, or None
        Kronecker OMP only: the per-factor selections ``S_1, …, S_I`` in selection order.
        ``None`` for OMP and oracle LS.
    """

    x: NDArray[Any]
    support: NDArray[np.int64]
    n_iter: int
    time_s: float
    residual_norm: float
    factor_support: tuple[NDArray[np.int64], ...] | None = None

    def __post_init__(self) -> None:
        for arr in (self.x, self.support, *(self.factor_support or ())):
            arr.setflags(write=False)


# --------------------------------------------------------------------------------------------
# input helpers


def _as_measurements(y: ArrayLike) -> NDArray[Any]:
    arr = np.asarray(y)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_):
        raise TypeError(f"y must be numeric, got dtype {arr.dtype}")
    arr = arr.ravel()
    if arr.size == 0:
        raise ValueError("y is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError("y contains NaN or infinite entries")
    return arr


def _as_factors(factors: Kron | Sequence[ArrayLike]) -> tuple[NDArray[Any], ...]:
    if isinstance(factors, Kron):
        return factors.factors
    if isinstance(factors, LinearOperator):
        raise TypeError("kron_omp needs the Kronecker factors (a Kron or a sequence of matrices)")
    op = Kron(factors)  # validates shapes and dtypes
    for i, f in enumerate(op.factors):
        if not np.all(np.isfinite(f)):
            raise ValueError(f"factor {i} contains NaN or infinite entries")
    return op.factors


class _Dictionary:
    """Uniform access to a dictionary given as a Kron, a LinearOperator, a sparse or a dense matrix.

    Only correlations ``Aᴴ r`` and single columns are needed; a ``Kron`` is never densified.
    """

    def __init__(self, A: Kron | LinearOperator | ArrayLike) -> None:
        self._kron: Kron | None = None
        self._op: LinearOperator | None = None
        self._sparse: Any = None
        self._dense: NDArray[Any] | None = None
        if isinstance(A, Kron):
            self._kron = A
            shape = A.shape
            dtype = np.dtype(A.dtype)
        elif isinstance(A, LinearOperator):
            self._op = A
            shape = A.shape
            dtype = np.dtype(A.dtype) if A.dtype is not None else np.dtype(np.float64)
        elif sp.issparse(A):
            self._sparse = sp.csc_array(A)
            shape = self._sparse.shape
            dtype = self._sparse.dtype
        else:
            dense = np.asarray(A)
            if dense.ndim != 2:
                raise ValueError(
                    f"A must be a 2-D matrix or a LinearOperator, got shape {dense.shape}"
                )
            if not np.issubdtype(dense.dtype, np.number) or np.issubdtype(dense.dtype, np.bool_):
                raise TypeError(f"A must be numeric, got dtype {dense.dtype}")
            if not np.all(np.isfinite(dense)):
                raise ValueError("A contains NaN or infinite entries")
            self._dense = dense
            shape = dense.shape
            dtype = dense.dtype
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype: np.dtype[Any] = dtype
        if 0 in self.shape:
            raise ValueError(f"A is empty (shape {self.shape})")

    def rmatvec(self, r: NDArray[Any]) -> NDArray[Any]:
        """``Aᴴ r``."""
        if self._kron is not None:
            return np.asarray(self._kron.rmatvec(r)).ravel()
        if self._op is not None:
            return np.asarray(self._op.rmatvec(r)).ravel()
        if self._sparse is not None:
            return np.asarray(self._sparse.conj().T @ r).ravel()
        assert self._dense is not None
        return self._dense.conj().T @ r

    def column(self, j: int) -> NDArray[Any]:
        """Column ``j`` of ``A`` (factor indexing for a Kron, a unit vector for an operator)."""
        if self._kron is not None:
            idx = np.unravel_index(j, self._kron.in_shape)
            return kron_vector([f[:, i] for f, i in zip(self._kron.factors, idx, strict=True)])
        if self._op is not None:
            e = np.zeros(self.shape[1], dtype=self.dtype)
            e[j] = 1
            return np.asarray(self._op.matvec(e)).ravel()
        if self._sparse is not None:
            return self._sparse[:, [j]].toarray().ravel()
        assert self._dense is not None
        return self._dense[:, j]

    def columns(self, idx: NDArray[np.intp]) -> NDArray[Any]:
        """The ``M × len(idx)`` matrix of the selected columns."""
        if self._dense is not None:
            return self._dense[:, idx]
        out = np.empty((self.shape[0], idx.size), dtype=self.dtype)
        for k, j in enumerate(idx):
            out[:, k] = self.column(int(j))
        return out


def _check_rows(y: NDArray[Any], n_rows: int) -> None:
    if y.size != n_rows:
        raise ValueError(f"y has {y.size} entries but A has {n_rows} rows")


# --------------------------------------------------------------------------------------------
# Kronecker OMP


def kron_omp(
    y: ArrayLike,
    factors: Kron | Sequence[ArrayLike],
    sparsity: int | Sequence[int],
    tol: float = 1e-2,
) -> GreedyFit:
    """Kronecker orthogonal matching pursuit (Kronecker-OMP, Caiafa & Cichocki 2013).

    Parameters
    ----------
    y : array_like, shape (M,) or (M_1, …, M_I)
        Measurements, ``M = Π M_i`` (C-order vec of the measurement tensor).
    factors : Kron or sequence of array_like
        The factor matrices ``A_i`` of shape ``(M_i, N_i)``, real or complex.
    sparsity : int or sequence of int
        Maximum number of selected indices per factor, ``s_i ≥ 1`` (an int applies to every
        factor).  ``s_i`` may exceed ``M_i`` (the paper's ``(10, 10, 10)`` with ``M_1 = 6``);
        the least-squares fit is then minimum-norm.
    tol : float, default 1e-2
        Stop when the relative residual ``‖y − D c‖ / ‖y‖`` is at most ``tol``.

    Returns
    -------
    GreedyFit
        ``factor_support`` holds the ordered selections ``S_i``; ``support`` the flat indices
        of the grid ``S_1 × … × S_I``.

    Raises
    ------
    ValueError
        If ``y`` does not have ``Π M_i`` entries, a sparsity level is below 1 or above
        ``N_i``, the number of sparsity levels differs from the number of factors, or ``tol``
        is negative.

    Notes
    -----
    With ``Y = y.reshape(M_1, …, M_I)`` and empty ordered lists ``S_i`` (spec §5), repeat:

    1. correlations ``C = R ×_1 A_1ᴴ ⋯ ×_I A_Iᴴ`` with ``R`` the residual tensor (``Y`` at
       the start);
    2. ``(a_1, …, a_I) = argmax |C|`` (first maximum in C order);
    3. for each ``i`` append ``a_i`` to ``S_i`` if it is new and ``|S_i| < s_i``;
    4. ``c`` = minimum-norm least-squares solution of ``D c ≈ y`` with
       ``D = A_1[:, S_1] ⊗ … ⊗ A_I[:, S_I]`` (columns in selection order);
    5. ``R = Y − C_c ×_1 A_1[:, S_1] ⋯ ×_I A_I[:, S_I]``, ``err = ‖R‖ / ‖y‖``;

    and stop after the iteration in which nothing was added, or once every ``|S_i| = s_i``,
    or when ``err ≤ tol``.  The estimate is ``X̂[np.ix_(S_1, …, S_I)] = c.reshape(|S_1|, …)``,
    zero elsewhere, returned as ``X̂.ravel()``.

    Neither the full dictionary nor ``D`` is formed: since ``D⁺ = ⊗_i A_i[:, S_i]⁺`` for a
    Kronecker product, the minimum-norm solution is the mode product
    ``c = Y ×_1 A_1[:, S_1]⁺ ⋯ ×_I A_I[:, S_I]⁺`` of small per-factor pseudo-inverses.
    An iteration costs ``O(Π M · Σ N_i)`` for the correlations.

    References
    ----------
    .. [1] C. F. Caiafa and A. Cichocki, "Computing sparse representations of
       multidimensional signals using Kronecker bases", Neural Computation 25(1),
       pp. 186–220, 2013.
    .. [2] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse vector
       recovery with application to IRS-MIMO channel estimation", IEEE Trans. Signal
       Process., 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl.greedy import kron_omp
    >>> rng = np.random.default_rng(0)
    >>> A1, A2 = rng.standard_normal((8, 10)), rng.standard_normal((9, 12))
    >>> x1, x2 = np.zeros(10), np.zeros(12)
    >>> x1[[1, 7]], x2[[3, 5]] = [1.0, -2.0], [0.5, 1.5]
    >>> y = np.kron(A1, A2) @ np.kron(x1, x2)
    >>> fit = kron_omp(y, [A1, A2], sparsity=2, tol=1e-10)
    >>> bool(np.allclose(fit.x, np.kron(x1, x2)))
    True
    """
    start = time.perf_counter()
    mats = _as_factors(factors)
    n_fac = len(mats)
    in_shape = tuple(int(f.shape[1]) for f in mats)
    out_shape = tuple(int(f.shape[0]) for f in mats)
    y_arr = _as_measurements(y)
    _check_rows(y_arr, int(np.prod(out_shape)))
    if isinstance(sparsity, (int, np.integer)):
        caps = (int(sparsity),) * n_fac
    else:
        caps = tuple(int(s) for s in sparsity)
        if len(caps) != n_fac:
            raise ValueError(f"sparsity has {len(caps)} levels but there are {n_fac} factors")
    for i, (s, n) in enumerate(zip(caps, in_shape, strict=True)):
        if s < 1 or s > n:
            raise ValueError(f"sparsity level {s} of factor {i} must be in 1..{n} (N_{i + 1})")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol}")

    dtype = np.result_type(y_arr.dtype, *mats, np.float64)
    adjoints = [f.conj().T for f in mats]
    Y = y_arr.astype(dtype, copy=False).reshape(out_shape)
    y_norm = float(np.linalg.norm(y_arr))
    sel: list[list[int]] = [[] for _ in mats]
    coef = np.zeros((0,) * n_fac, dtype=dtype)
    R = Y
    err_norm = y_norm
    n_iter = 0
    if y_norm > 0:
        while True:
            n_iter += 1
            corr = multi_mode_product(R, adjoints)
            best = np.unravel_index(int(np.argmax(np.abs(corr))), corr.shape)
            added = False
            for i, a in enumerate(best):
                if int(a) not in sel[i] and len(sel[i]) < caps[i]:
                    sel[i].append(int(a))
                    added = True
            if added:
                sub = [f[:, s] for f, s in zip(mats, sel, strict=True)]
                coef = multi_mode_product(Y, [np.linalg.pinv(d) for d in sub])
                R = Y - multi_mode_product(coef, sub)
                err_norm = float(np.linalg.norm(R))
            full = all(len(s) == c for s, c in zip(sel, caps, strict=True))
            if not added or full or err_norm <= tol * y_norm:
                break

    X = np.zeros(in_shape, dtype=dtype)
    if n_iter:
        X[np.ix_(*sel)] = coef
    grid = np.ix_(*[np.asarray(s, dtype=np.intp) for s in sel])
    support = np.sort(np.ravel_multi_index(grid, in_shape).ravel()).astype(np.int64)
    return GreedyFit(
        x=X.ravel(),
        support=support,
        n_iter=n_iter,
        time_s=time.perf_counter() - start,
        residual_norm=err_norm,
        factor_support=tuple(np.asarray(s, dtype=np.int64) for s in sel),
    )


# --------------------------------------------------------------------------------------------
# OMP


def omp(
    y: ArrayLike,
    A: Kron | LinearOperator | ArrayLike,
    noise_var: float | None = None,
    max_atoms: int | None = None,
) -> GreedyFit:
    """Orthogonal matching pursuit (Pati, Rezaiifar & Krishnaprasad 1993).

    Parameters
    ----------
    y : array_like, shape (M,)
        Measurements.
    A : Kron, LinearOperator, sparse or dense matrix, shape (M, N)
        The dictionary.  A ``Kron`` is used through mode products (``rmatvec``) and factor
        indexing; it is never densified.  A generic ``LinearOperator`` needs ``rmatvec``.
    noise_var : float, optional
        Noise variance ``σ² ≥ 0``.  If given, stop as soon as ``‖r‖ ≤ σ √M``.
    max_atoms : int, optional
        Maximum number of atoms; default ``min(M, N)``.

    Returns
    -------
    GreedyFit
        ``n_iter`` is the number of atoms selected; ``support`` holds them sorted.

    Raises
    ------
    ValueError
        If ``max_atoms`` exceeds the number of measurements ``M`` (or the number of columns
        ``N``) or is negative, ``noise_var`` is negative, or the shapes disagree.

    Notes
    -----
    Start from ``r = y`` and ``S = ∅``; while ``‖r‖ > σ√M`` (σ = 0 without ``noise_var``)
    and ``|S| <`` ``max_atoms``: add ``j = argmax_j |a_jᴴ r|`` (columns are *not*
    normalised, as in the reference code; first maximum on ties), then
    ``c = argmin ‖y − A_S c‖``, ``r = y − A_S c``.  The selected columns stay linearly
    independent (``r`` is orthogonal to their span), so the least-squares solution is
    unique; it is kept up to date by Gram–Schmidt with re-orthogonalisation (``A_S = Q R``)
    and obtained at the end as ``R⁻¹ Qᴴ y``.

    The loop also stops when the residual is zero to working precision
    (``‖r‖ ≤ 10·M·ε·‖y‖``) or when no column has a component outside the span of those
    already selected, since no further atom could reduce it.  The paper uses no OMP
    experiment; the authors' function stops at ``‖r‖ ≤ σ√M`` (spec §5).

    References
    ----------
    .. [1] Y. C. Pati, R. Rezaiifar and P. S. Krishnaprasad, "Orthogonal matching pursuit:
       recursive function approximation with applications to wavelet decomposition",
       Proc. 27th Asilomar Conf. Signals, Systems and Computers, pp. 40–44, 1993.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl.greedy import omp
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((20, 40))
    >>> x = np.zeros(40)
    >>> x[[3, 17, 30]] = [1.0, -1.0, 2.0]
    >>> fit = omp(A @ x, A)
    >>> fit.support.tolist()
    [3, 17, 30]
    """
    start = time.perf_counter()
    dic = _Dictionary(A)
    n_rows, n_cols = dic.shape
    y_arr = _as_measurements(y)
    _check_rows(y_arr, n_rows)
    if max_atoms is None:
        cap = min(n_rows, n_cols)
    else:
        cap = int(max_atoms)
        if cap < 0:
            raise ValueError(f"max_atoms must be >= 0, got {max_atoms}")
        if cap > n_rows:
            raise ValueError(
                f"max_atoms={cap} exceeds the number of measurements M={n_rows}: OMP cannot "
                "select more linearly independent atoms than there are measurements"
            )
        if cap > n_cols:
            raise ValueError(f"max_atoms={cap} exceeds the number of columns N={n_cols}")
    if noise_var is None:
        threshold = 0.0
    else:
        nv = float(noise_var)
        if not np.isfinite(nv) or nv < 0:
            raise ValueError(f"noise_var must be a finite number >= 0, got {noise_var}")
        threshold = float(np.sqrt(nv) * np.sqrt(n_rows))

    dtype = np.result_type(y_arr.dtype, dic.dtype, np.float64)
    y_vec = y_arr.astype(dtype, copy=False)
    y_norm = float(np.linalg.norm(y_vec))
    eps = float(np.finfo(dtype).eps)
    floor = max(threshold, 10.0 * n_rows * eps * y_norm)

    Q = np.empty((n_rows, min(cap, 16)), dtype=dtype)
    Rm = np.zeros((Q.shape[1], Q.shape[1]), dtype=dtype)
    z = np.zeros(Q.shape[1], dtype=dtype)  # Qᴴ y
    chosen: list[int] = []
    r = y_vec.copy()
    r_norm = y_norm
    while r_norm > floor and len(chosen) < cap:
        corr = dic.rmatvec(r)
        j = int(np.argmax(np.abs(corr)))
        if abs(corr[j]) == 0:
            break
        a = dic.column(j).astype(dtype, copy=False)
        k = len(chosen)
        if k == Q.shape[1]:  # grow the buffers
            new = min(cap, 2 * k)
            Q = np.concatenate([Q, np.empty((n_rows, new - k), dtype=dtype)], axis=1)
            Rm = np.pad(Rm, ((0, new - k), (0, new - k)))
            z = np.pad(z, (0, new - k))
        Qk = Q[:, :k]
        h1 = Qk.conj().T @ a
        v = a - Qk @ h1
        h2 = Qk.conj().T @ v
        v = v - Qk @ h2
        rho = float(np.linalg.norm(v))
        if rho <= 10.0 * n_rows * eps * float(np.linalg.norm(a)):
            break  # the best atom lies in the span already selected: nothing left to fit
        q = v / rho
        Q[:, k] = q
        Rm[:k, k] = h1 + h2
        Rm[k, k] = rho
        z[k] = np.vdot(q, y_vec)
        r = r - z[k] * q
        r_norm = float(np.linalg.norm(r))
        chosen.append(j)

    k = len(chosen)
    x = np.zeros(n_cols, dtype=dtype)
    if k:
        coef = solve_triangular(Rm[:k, :k], z[:k])
        x[np.asarray(chosen)] = coef
        r_norm = float(np.linalg.norm(y_vec - dic.columns(np.asarray(chosen)) @ coef))
    return GreedyFit(
        x=x,
        support=np.sort(np.asarray(chosen, dtype=np.int64)),
        n_iter=k,
        time_s=time.perf_counter() - start,
        residual_norm=r_norm,
    )


# --------------------------------------------------------------------------------------------
# oracle least squares


def _check_support(support: ArrayLike | None, n_cols: int) -> NDArray[np.intp]:
    if support is None:
        raise ValueError("oracle_ls needs a support (flat indices into x), got None")
    idx = np.asarray(support)
    if idx.dtype == np.bool_:
        if idx.shape != (n_cols,):
            raise ValueError(f"a boolean support mask must have shape ({n_cols},), got {idx.shape}")
        idx = np.flatnonzero(idx)
    if idx.ndim != 1:
        raise ValueError(f"support must be a 1-D array of flat indices, got shape {idx.shape}")
    if idx.size == 0:
        raise ValueError("support is empty: oracle least squares needs at least one index")
    if not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"support must hold integer flat indices, got dtype {idx.dtype} "
            "(for a 0/1 mask use np.flatnonzero(mask))"
        )
    bad = idx[(idx < 0) | (idx >= n_cols)]
    if bad.size:
        raise ValueError(
            f"support indices out of range 0..{n_cols - 1}: {bad[:10].tolist()}"
            + (" ..." if bad.size > 10 else "")
        )
    uniq, counts = np.unique(idx, return_counts=True)
    dup = uniq[counts > 1]
    if dup.size:
        raise ValueError(f"support has duplicate indices: {dup[:10].tolist()}")
    return idx.astype(np.intp)


def oracle_ls(
    y: ArrayLike,
    A: Kron | LinearOperator | ArrayLike,
    support: ArrayLike | None,
) -> GreedyFit:
    """Least squares restricted to a known support (the oracle baseline).

    Parameters
    ----------
    y : array_like, shape (M,)
        Measurements.
    A : Kron, LinearOperator, sparse or dense matrix, shape (M, N)
        The dictionary; only the columns in ``support`` are extracted.
    support : array_like of int, or boolean mask of shape (N,)
        Flat indices into ``x`` (``numpy.kron`` order), each at most once.

    Returns
    -------
    GreedyFit
        ``n_iter`` is 1 and ``time_s`` is 0.0 (the paper reports no time for the oracle,
        spec §6.5).

    Raises
    ------
    ValueError
        If ``support`` is None or empty, not integer, has indices outside ``0..N-1`` or
        duplicate indices, or the shapes of ``y`` and ``A`` disagree.

    Notes
    -----
    ``x̂_S = A_S⁺ y`` (the minimum-norm least-squares solution, as the reference's
    ``pinv(A(:, S)) * y``), ``x̂`` zero off ``S``.  The support recovery rate of the oracle
    is 1 by definition (spec §5).
    """
    dic = _Dictionary(A)
    n_rows, n_cols = dic.shape
    y_arr = _as_measurements(y)
    _check_rows(y_arr, n_rows)
    idx = _check_support(support, n_cols)
    dtype = np.result_type(y_arr.dtype, dic.dtype, np.float64)
    A_S = dic.columns(idx).astype(dtype, copy=False)
    y_vec = y_arr.astype(dtype, copy=False)
    coef = np.linalg.lstsq(A_S, y_vec, rcond=None)[0]
    x = np.zeros(n_cols, dtype=dtype)
    x[idx] = coef
    return GreedyFit(
        x=x,
        support=np.sort(idx).astype(np.int64),
        n_iter=1,
        time_s=0.0,
        residual_norm=float(np.linalg.norm(y_vec - A_S @ coef)),
    )
