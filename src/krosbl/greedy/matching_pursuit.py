"""Orthogonal matching pursuit (:func:`omp`) and oracle least squares (:func:`oracle_ls`) on any
dictionary, and the record :class:`GreedyFit` every greedy solver returns."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import solve_triangular
from scipy.sparse.linalg import LinearOperator

from krosbl.operators import Kron, kron_vector
from krosbl.validation import check_measurements, check_noise_var, check_support

__all__ = ["GreedyFit", "omp", "oracle_ls"]


class _Dictionary:
    """The correlations ``Aᴴ r`` and columns of a ``Kron`` (never densified), a
    ``LinearOperator``, a sparse or a dense matrix."""

    def __init__(self, A: Kron | LinearOperator | ArrayLike) -> None:
        self._kron: Kron | None = None
        self._op: LinearOperator | None = None
        self._sparse: Any = None
        self._dense: NDArray[Any] | None = None
        if isinstance(A, Kron):
            self._kron = A
            shape, dtype = A.shape, np.dtype(A.dtype)
        elif isinstance(A, LinearOperator):
            self._op = A
            shape, dtype = A.shape, np.dtype(A.dtype)  # no dtype (None): float64
        elif sp.issparse(A):
            self._sparse = sp.csc_array(A)
            shape, dtype = self._sparse.shape, self._sparse.dtype
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
            shape, dtype = dense.shape, dense.dtype
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
        matrix = self._dense if self._dense is not None else self._sparse
        return np.asarray(matrix.conj().T @ r).ravel()

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


@dataclass(frozen=True, eq=False)
class GreedyFit:
    """Result of a greedy or oracle solver.

    Attributes
    ----------
    x : ndarray, shape (N,)
        Full-length estimate, zero outside ``support``; read-only.
    support : ndarray of int64
        Sorted flat indices of the selected columns (Kronecker OMP: the whole grid
        ``S_1 × … × S_I``); read-only.
    n_iter : int
        OMP: atoms selected. Kronecker OMP: iterations run, including a last one that may
        have added nothing. Oracle LS: 1.
    time_s : float
        Wall-clock seconds of the whole solve; oracle LS reports 0.0, as the paper does.
    residual_norm : float
        ``‖y − A x‖₂`` of the returned estimate.
    factor_support : tuple of ndarray of int64, or None
        Kronecker OMP only: the selections ``S_1, …, S_I`` in selection order.
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


def omp(
    y: ArrayLike,
    A: Kron | LinearOperator | ArrayLike,
    noise_var: float | None = None,
    max_atoms: int | None = None,
) -> GreedyFit:
    """Orthogonal matching pursuit (Pati, Rezaiifar & Krishnaprasad 1993).

    Parameters
    ----------
    y : array_like, shape (M,) or (M, T)
        Measurements; ``T`` columns are snapshots sharing one support (simultaneous OMP).
    A : Kron, LinearOperator, sparse or dense matrix, shape (M, N)
        The dictionary (a ``Kron`` is never densified; an operator needs ``rmatvec``).
    noise_var : float, optional
        Noise variance ``σ² > 0``: stop as soon as ``‖r‖ ≤ σ √M`` (``‖R‖_F ≤ σ √(MT)`` for
        snapshots); without it, stop when the residual vanishes (or at ``max_atoms``).
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
        ``N``) or is negative, ``noise_var`` is not positive, or the shapes disagree.

    Notes
    -----
    Start from ``r = y``, ``S = ∅``; while ``‖r‖ > σ√M`` (σ = 0 without ``noise_var``) and
    ``|S| <`` ``max_atoms``: add ``j = argmax_j |a_jᴴ r|`` (columns *not* normalised, as in
    the reference code; first maximum on ties), then ``c = argmin ‖y − A_S c‖``,
    ``r = y − A_S c``, kept up to date by Gram–Schmidt with re-orthogonalisation
    (``A_S = Q R``, ``c = R⁻¹ Qᴴ y``). With ``T`` snapshots this is simultaneous OMP
    ([2]_): the atom maximises ``‖a_jᴴ R‖₂``. The loop also stops when ``‖r‖ ≤ 10·M·ε·‖y‖``
    or no column has a component outside the span of those selected. The authors' function
    stops at ``‖r‖ ≤ σ√M`` (departure R10 in docs/reproduction.md).

    References
    ----------
    .. [1] Y. C. Pati, R. Rezaiifar and P. S. Krishnaprasad, "Orthogonal matching pursuit:
       recursive function approximation with applications to wavelet decomposition",
       Proc. 27th Asilomar Conf. Signals, Systems and Computers, pp. 40–44, 1993.
    .. [2] J. A. Tropp, A. C. Gilbert and M. J. Strauss, "Algorithms for simultaneous sparse
       approximation. Part I: Greedy pursuit", Signal Processing 86(3), 2006.

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
    y_arr = check_measurements(y, n_rows, snapshots=True)
    sigma2 = check_noise_var(noise_var)
    cap = _atom_cap(max_atoms, n_rows, n_cols)
    threshold = 0.0 if sigma2 is None else float(np.sqrt(sigma2 * y_arr.size))

    dtype = np.result_type(y_arr.dtype, dic.dtype, np.float64)
    y_vec = y_arr.astype(dtype, copy=False)
    y_norm = float(np.linalg.norm(y_vec))
    floor = max(threshold, 10.0 * n_rows * float(np.finfo(dtype).eps) * y_norm)

    basis = _Basis(y_vec, cap)
    chosen: list[int] = []
    r, r_norm = y_vec.copy(), y_norm
    while r_norm > floor and len(chosen) < cap:
        score = _scores(dic, r)
        j = int(np.argmax(score))
        if score[j] == 0:
            break
        step = basis.add(dic.column(j).astype(dtype, copy=False))
        if step is None:
            break  # the best atom lies in the span already selected: nothing left to fit
        r = r - step
        r_norm = float(np.linalg.norm(r))
        chosen.append(j)

    x = np.zeros((n_cols, *y_vec.shape[1:]), dtype=dtype)
    if chosen:
        coef = basis.coefficients()
        x[np.asarray(chosen)] = coef
        r_norm = float(np.linalg.norm(y_vec - dic.columns(np.asarray(chosen)) @ coef))
    return GreedyFit(
        x=x,
        support=np.sort(np.asarray(chosen, dtype=np.int64)),
        n_iter=len(chosen),
        time_s=time.perf_counter() - start,
        residual_norm=r_norm,
    )


def _atom_cap(max_atoms: int | None, n_rows: int, n_cols: int) -> int:
    """``max_atoms`` checked against ``M`` and ``N``; ``None``: ``min(M, N)``."""
    if max_atoms is None:
        return min(n_rows, n_cols)
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
    return cap


def _scores(dic: _Dictionary, r: NDArray) -> NDArray:
    """``|a_jᴴ r|`` of every column ``j``; for snapshots ``‖a_jᴴ R‖₂`` over the columns of
    ``R``."""
    if r.ndim == 2:
        corr = np.column_stack([dic.rmatvec(column) for column in r.T])
        return np.sqrt(np.sum(np.abs(corr) ** 2, axis=1))
    return np.abs(dic.rmatvec(r))


class _Basis:
    """The selected atoms as ``A_S = Q R`` with ``z = Qᴴ y``, one atom at a time by
    Gram–Schmidt with re-orthogonalisation (buffers grown by doubling, up to ``cap``)."""

    def __init__(self, y: NDArray, cap: int) -> None:
        size = min(cap, 16)
        self.y, self.cap, self.k = y, cap, 0
        self.Q = np.empty((y.shape[0], size), dtype=y.dtype)
        self.R = np.zeros((size, size), dtype=y.dtype)
        self.z = np.zeros((size, *y.shape[1:]), dtype=y.dtype)

    def _grow(self) -> None:
        k = self.k
        new = min(self.cap, 2 * k)
        self.Q = np.concatenate([self.Q, np.empty((len(self.Q), new - k), self.Q.dtype)], axis=1)
        self.R = np.pad(self.R, ((0, new - k), (0, new - k)))
        self.z = np.pad(self.z, [(0, new - k)] + [(0, 0)] * (self.z.ndim - 1))

    def add(self, a: NDArray) -> NDArray | None:
        """Append atom ``a``; returns the part ``q qᴴ y`` of ``y`` it adds to the fit, or
        ``None`` (nothing appended) when ``a`` lies in the span of the atoms already kept."""
        k = self.k
        if k == self.Q.shape[1]:
            self._grow()
        Qk = self.Q[:, :k]
        h1 = Qk.conj().T @ a
        v = a - Qk @ h1
        h2 = Qk.conj().T @ v
        v = v - Qk @ h2
        rho = float(np.linalg.norm(v))
        eps = float(np.finfo(self.y.dtype).eps)
        if rho <= 10.0 * len(self.y) * eps * float(np.linalg.norm(a)):
            return None
        q = v / rho
        self.Q[:, k] = q
        self.R[:k, k] = h1 + h2
        self.R[k, k] = rho
        self.k = k + 1
        if self.y.ndim == 2:
            self.z[k] = q.conj() @ self.y
            return np.outer(q, self.z[k])
        self.z[k] = np.vdot(q, self.y)
        return self.z[k] * q

    def coefficients(self) -> NDArray:
        """The least-squares coefficients ``R⁻¹ Qᴴ y`` on the kept atoms."""
        return solve_triangular(self.R[: self.k, : self.k], self.z[: self.k])


def oracle_ls(
    y: ArrayLike, A: Kron | LinearOperator | ArrayLike, support: ArrayLike | None
) -> GreedyFit:
    """Least squares restricted to a known support (the oracle baseline).

    Parameters
    ----------
    y : array_like, shape (M,) or (M, T)
        Measurements (``T`` snapshots on the one support).
    A : Kron, LinearOperator, sparse or dense matrix, shape (M, N)
        The dictionary; only the columns in ``support`` are read.
    support : array_like of int, or boolean mask of shape (N,)
        Flat indices into ``x`` (``numpy.kron`` order), each at most once.

    Returns
    -------
    GreedyFit
        ``n_iter`` is 1 and ``time_s`` is 0.0 (the paper reports no time for the oracle).

    Raises
    ------
    ValueError
        If ``support`` is None or empty, not integer, has indices outside ``0..N-1`` or
        duplicate indices, or the shapes of ``y`` and ``A`` disagree.

    Notes
    -----
    ``x̂_S = A_S⁺ y`` (as the reference's ``pinv(A(:, S)) * y``), ``x̂`` zero off ``S``.
    """
    dic = _Dictionary(A)
    n_rows, n_cols = dic.shape
    y_arr = check_measurements(y, n_rows, snapshots=True)
    idx = check_support(support, n_cols)
    dtype = np.result_type(y_arr.dtype, dic.dtype, np.float64)
    A_S = dic.columns(idx).astype(dtype, copy=False)
    y_vec = y_arr.astype(dtype, copy=False)
    coef = np.linalg.lstsq(A_S, y_vec, rcond=None)[0]
    x = np.zeros((n_cols, *y_vec.shape[1:]), dtype=dtype)
    x[idx] = coef
    return GreedyFit(
        x=x,
        support=np.sort(idx).astype(np.int64),
        n_iter=1,
        time_s=0.0,
        residual_norm=float(np.linalg.norm(y_vec - A_S @ coef)),
    )
