"""Input validation for every solver, in one place."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import LinearOperator

from .methods import METHODS, Method
from .operators import Kron

__all__ = ["check_dictionary", "check_measurements", "check_method", "check_noise_var"]


def check_method(method: str) -> Method:
    """Look a method up by name; an unknown name is a ``ValueError`` listing the valid ones."""
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid methods are {sorted(METHODS)}")
    return METHODS[method.lower()]


def _check_finite(a: NDArray, what: str) -> None:
    if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.bool_):
        raise TypeError(f"{what} must be numeric, got dtype {a.dtype}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} contains NaN or infinite values")


def check_dictionary(A: Any, method: Method) -> Kron | NDArray | LinearOperator:
    """Turn ``A`` into a :class:`Kron`, a dense matrix or a linear operator, and check it.

    Parameters
    ----------
    A : Kron, sequence of array_like, ndarray or LinearOperator
        The dictionary or its Kronecker factors.
    method : Method
        The method that will use it (Kronecker methods need factors).

    Raises
    ------
    ValueError
        Empty or non-finite factors, or a dense matrix given to a Kronecker method.
    """
    if isinstance(A, Kron):
        op: Kron | NDArray | LinearOperator = A
        for i, f in enumerate(A.factors):
            _check_finite(f, f"factor {i} of the dictionary")
    elif isinstance(A, LinearOperator):
        op = A
    elif isinstance(A, np.ndarray) and A.ndim == 2:
        if A.size == 0:
            raise ValueError(f"the dictionary is empty (shape {A.shape})")
        _check_finite(A, "the dictionary")
        op = A
    elif isinstance(A, Sequence) and not isinstance(A, str):
        if len(A) == 0:
            raise ValueError("the list of Kronecker factors is empty")
        factors = [np.asarray(f) for f in A]
        for i, f in enumerate(factors):
            if f.ndim == 2 and f.size:
                _check_finite(f, f"factor {i} of the dictionary")
        op = Kron(factors)
    else:
        shape = f" of shape {A.shape}" if isinstance(A, np.ndarray) else ""
        raise TypeError(
            "A must be a krosbl.Kron, a list of factor matrices or a 2-D array, "
            f"got {type(A).__name__}{shape} (the call is recover(y, A, ...))"
        )
    if method.kronecker and not isinstance(op, Kron):
        raise ValueError(
            f"method {method.name!r} needs the Kronecker factors: pass a krosbl.Kron or a "
            "list of factor matrices, not a dense matrix"
        )
    if method.is_sbl and not isinstance(op, Kron | np.ndarray):
        raise TypeError(f"method {method.name!r} needs a Kron or a dense matrix")
    return op


def check_measurements(y: ArrayLike, n_rows: int) -> NDArray:
    """Check ``y`` (finite, numeric, one value per dictionary row) and return it flat."""
    arr = np.asarray(y)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-D vector, got shape {arr.shape}")
    _check_finite(arr, "y")
    if arr.shape[0] != n_rows:
        raise ValueError(f"y has length {arr.shape[0]} but the dictionary has {n_rows} rows")
    return arr


def check_noise_var(noise_var: Any) -> float | None:
    """``None`` (learn it) or a finite positive real number."""
    if noise_var is None:
        return None
    if isinstance(noise_var, bool) or not isinstance(noise_var, Real | np.floating | np.integer):
        raise TypeError(f"noise_var must be a positive real number or None, got {noise_var!r}")
    value = float(noise_var)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"noise_var must be finite and > 0, got {noise_var!r}")
    return value
