"""Input validation shared by the greedy and oracle solvers.

``_as_measurements`` checks and flattens ``y``, ``_as_factors`` turns a :class:`~krosbl.Kron`
or a sequence of matrices into checked factor matrices, and ``_check_rows`` checks that ``y``
matches the number of rows of the dictionary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import LinearOperator

from krosbl.operators import Kron


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


def _check_rows(y: NDArray[Any], n_rows: int) -> None:
    if y.size != n_rows:
        raise ValueError(f"y has {y.size} entries but A has {n_rows} rows")
