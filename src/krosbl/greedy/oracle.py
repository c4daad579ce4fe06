"""Oracle least squares (:func:`oracle_ls`): the fit restricted to a known support.

The support (flat indices or a boolean mask) is validated, the selected columns of the
dictionary are extracted and the minimum-norm least-squares solution is placed on them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import LinearOperator

from krosbl.operators import Kron

from .dictionary import _Dictionary
from .fit import GreedyFit
from .inputs import _as_measurements, _check_rows

__all__ = ["oracle_ls"]


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
