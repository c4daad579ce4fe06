"""Input checks of every entry point, in one place, with one wording per problem; a method
receives a checked :class:`Problem`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import LinearOperator

from .operators import Kron

__all__ = [
    "Problem",
    "check_array",
    "check_dictionary",
    "check_factors",
    "check_int",
    "check_measurements",
    "check_noise_var",
    "check_real",
    "check_support",
]

Dictionary: TypeAlias = Kron | NDArray | LinearOperator


@dataclass(frozen=True)
class Problem:
    """A checked problem ``y = A x + n``.

    Attributes
    ----------
    y : ndarray, shape (M,)
        Finite measurements.
    op : Kron, ndarray, LinearOperator or Tasks
        The dictionary, ``(M, N)``, or one per task (:class:`krosbl.tasks.Tasks`).
    noise_var : float or None
        Known ``σ² > 0``, or ``None`` (learn it, or not used).
    support : ndarray of int or None
        A given true support (flat indices), for the oracle.
    """

    y: NDArray
    op: Dictionary
    noise_var: float | None
    support: NDArray | None = None

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the solve: ``numpy.result_type`` of ``y`` and ``A``, at least float64."""
        return np.result_type(self.y, self.op.dtype, np.float64)

    @property
    def n_factors(self) -> int:
        """Number of Kronecker factors (1 for an unstructured dictionary)."""
        return int(getattr(self.op, "n_factors", 1))  # a Kron, or Tasks of them


def check_int(name: str, value: object, *, minimum: int) -> int:
    """``value`` as an ``int``: a Python or NumPy integer (not ``bool``) ``≥ minimum``, else
    ``TypeError`` (non-integer) or ``ValueError`` (below), naming the argument ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_real(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """``value`` as a ``float``: finite, between ``low`` and ``high`` (closed bounds unless
    ``open_low`` / ``open_high``), else ``TypeError`` (non-real) or ``ValueError`` (NaN, inf,
    out of bounds), naming the argument ``name`` and the interval."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    out = float(value)
    below = out <= low if open_low else out < low
    above = out >= high if open_high else out > high
    if not math.isfinite(out) or below or above:
        bounds = ""
        if (low, high) != (-math.inf, math.inf):
            closed_high = not open_high and math.isfinite(high)
            bounds = (
                f" and in {'(' if open_low else '['}{low:g}, {high:g}{']' if closed_high else ')'}"
            )
        raise ValueError(f"{name} must be finite{bounds}, got {value!r}")
    return out


def check_array(a: ArrayLike, what: str) -> NDArray:
    """``a`` as a numeric array with finite entries (``TypeError`` for a non-numeric or
    boolean dtype, ``ValueError`` for NaN or inf; the messages name it ``what``)."""
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_):
        raise TypeError(f"{what} must be numeric, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains NaN or infinite values")
    return arr


def check_factors(factors: Kron | Sequence[ArrayLike], *, finite: bool = True) -> Kron:
    """The Kronecker dictionary of ``factors``, each checked for finite numeric entries
    (``finite=False``: shapes only, for a caller that never reads the values). Raises
    ``TypeError`` for neither a :class:`~krosbl.Kron` nor a sequence of matrices and
    ``ValueError`` for no factors, or a factor that is empty, not 2-D or not finite.
    """
    if isinstance(factors, Kron):
        for i, f in enumerate(factors.factors):
            if finite:
                check_array(f, f"factor {i} of the dictionary")
        return factors
    if isinstance(factors, LinearOperator | np.ndarray) or not isinstance(factors, Sequence):
        raise TypeError(
            "the Kronecker factors must be a krosbl.Kron or a list of factor matrices, "
            f"got {type(factors).__name__}"
        )
    if len(factors) == 0:
        raise ValueError("the list of Kronecker factors is empty")
    mats = [np.asarray(f) for f in factors]
    for i, f in enumerate(mats):
        if finite and f.ndim == 2 and f.size:
            check_array(f, f"factor {i} of the dictionary")
    return Kron(mats)  # checks shapes and emptiness


def check_dictionary(
    A: Any, *, kronecker: bool = False, operator: bool = True, finite: bool = True
) -> Dictionary:
    """``A`` (a :class:`Kron`, its factors, a matrix or an operator) checked.

    ``kronecker``: the caller needs the factors; ``operator``: a generic ``LinearOperator``
    will do; ``finite=False`` checks shapes and types only. Raises ``TypeError`` for an
    unsupported type and ``ValueError`` for empty or non-finite factors, or a dense matrix
    where factors are needed.
    """
    if isinstance(A, Kron) or (isinstance(A, Sequence) and not isinstance(A, str)):
        return check_factors(A, finite=finite)
    if isinstance(A, LinearOperator):
        if not operator:
            raise TypeError("this method needs a krosbl.Kron or a dense matrix, not an operator")
        op: Dictionary = A
    elif isinstance(A, np.ndarray) and A.ndim == 2:
        if A.size == 0:
            raise ValueError(f"the dictionary is empty (shape {A.shape})")
        op = check_array(A, "the dictionary") if finite else A
    else:
        shape = f" of shape {A.shape}" if isinstance(A, np.ndarray) else ""
        raise TypeError(
            "A must be a krosbl.Kron, a list of factor matrices, a 2-D array or a "
            f"LinearOperator, got {type(A).__name__}{shape}"
        )
    if kronecker:
        raise ValueError(
            "this method needs the Kronecker factors: pass a krosbl.Kron or a list of factor "
            "matrices, not a dense matrix or operator"
        )
    return op


def check_measurements(y: ArrayLike, n_rows: int, *, snapshots: bool = False) -> NDArray:
    """``y`` checked: numeric, finite, one value per dictionary row; flat unless
    ``snapshots`` and of shape ``(n_rows, T)`` (``T`` snapshots; ``(1, n_rows)`` is one
    vector). Raises ``TypeError`` for a non-numeric dtype and ``ValueError`` for NaN or inf,
    a length other than ``n_rows`` or not a vector (nor, with ``snapshots``, a matrix of
    ``n_rows`` rows)."""
    arr = np.asarray(y)
    if snapshots and arr.ndim == 2 and arr.shape != (1, n_rows):
        if arr.shape[0] != n_rows or arr.shape[1] == 0:
            raise ValueError(
                f"y of shape {arr.shape}: snapshots are the columns of y, which must have one "
                f"row per dictionary row ({n_rows}) and at least one column"
            )
        return check_array(arr, "y")
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-D vector, got shape {arr.shape}")
    arr = check_array(arr, "y")
    if arr.shape[0] != n_rows:
        raise ValueError(f"y has length {arr.shape[0]} but the dictionary has {n_rows} rows")
    return arr


def check_noise_var(noise_var: Any) -> float | None:
    """``None`` or a finite real number ``> 0`` (the one contract of every method): else
    ``TypeError`` (not a real number) or ``ValueError`` (NaN, inf or ``≤ 0``)."""
    if noise_var is None:
        return None
    if isinstance(noise_var, bool) or not isinstance(noise_var, Real):
        raise TypeError(f"noise_var must be a positive real number or None, got {noise_var!r}")
    value = float(noise_var)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"noise_var must be finite and > 0 (or None), got {noise_var!r}")
    return value


def check_support(support: ArrayLike | None, n_cols: int) -> NDArray[np.intp]:
    """A true support: flat indices (or a boolean mask), unique and in range; else
    ``ValueError`` (missing, empty, not 1-D, not integer, out of range or duplicates)."""
    if support is None:
        raise ValueError("oracle least squares needs a support: pass support=... (flat indices)")
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
