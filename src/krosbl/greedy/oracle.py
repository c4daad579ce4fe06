"""Oracle least squares (:func:`oracle_ls`): the fit restricted to a known support."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse.linalg import LinearOperator

from krosbl.operators import Kron
from krosbl.validation import check_measurements, check_support

from .dictionary import GreedyFit, _Dictionary

__all__ = ["oracle_ls"]


def oracle_ls(
    y: ArrayLike,
    A: Kron | LinearOperator | ArrayLike,
    support: ArrayLike | None,
) -> GreedyFit:
    """Least squares restricted to a known support (the oracle baseline).

    Parameters
    ----------
    y : array_like, shape (M,) or (M, T)
        Measurements (``T`` snapshots on the one support).
    A : Kron, LinearOperator, sparse or dense matrix, shape (M, N)
        The dictionary; only the columns in ``support`` are extracted.
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
    ``x̂_S = A_S⁺ y`` (the minimum-norm least-squares solution, as the reference's
    ``pinv(A(:, S)) * y``), ``x̂`` zero off ``S``.  The support recovery rate of the oracle
    is 1 by definition.
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
