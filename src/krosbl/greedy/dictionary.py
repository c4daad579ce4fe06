"""What the greedy and oracle solvers share: uniform access to a dictionary and the result
record :class:`GreedyFit`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import LinearOperator

from krosbl.operators import Kron, kron_vector

__all__ = ["GreedyFit"]


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
        timed whole; oracle LS reports 0.0, as the paper's timing convention does.
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
