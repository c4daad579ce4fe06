"""Kronecker orthogonal matching pursuit (:func:`kron_omp`; Caiafa & Cichocki 2013)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from krosbl.operators import Kron, multi_mode_product
from krosbl.validation import check_factors, check_measurements

from .matching_pursuit import GreedyFit

__all__ = ["kron_omp"]


def kron_omp(
    y: ArrayLike,
    factors: Kron | Sequence[ArrayLike],
    sparsity: int | Sequence[int] | None = None,
    tol: float = 1e-2,
) -> GreedyFit:
    """Kronecker orthogonal matching pursuit (Kronecker-OMP, Caiafa & Cichocki 2013).

    Parameters
    ----------
    y : array_like, shape (M,) or (M_1, …, M_I)
        Measurements, ``M = Π M_i`` (C-order vec of the measurement tensor).
    factors : Kron or sequence of array_like
        The factor matrices ``A_i`` of shape ``(M_i, N_i)``, real or complex.
    sparsity : int, sequence of int or None
        Maximum number of selected indices per factor, ``s_i ≥ 1`` (an int applies to every
        factor); default ``min(M_i, N_i)``. ``s_i > M_i`` is allowed (the paper's
        ``(10, 10, 10)`` with ``M_1 = 6``: the fit is then minimum-norm); ``s_i > N_i`` is
        taken as ``N_i``.
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
        If ``y`` does not have ``Π M_i`` entries, a sparsity level is below 1, the number of
        sparsity levels differs from the number of factors, or ``tol`` is negative.

    Notes
    -----
    With ``Y = y.reshape(M_1, …, M_I)`` and empty ordered lists ``S_i``, repeat:

    1. correlations ``C = R ×_1 A_1ᴴ ⋯ ×_I A_Iᴴ`` with ``R`` the residual tensor (``Y`` at
       the start);
    2. ``(a_1, …, a_I) = argmax |C|`` (first maximum in C order);
    3. for each ``i`` append ``a_i`` to ``S_i`` if it is new and ``|S_i| < s_i``;
    4. ``c`` = minimum-norm least-squares solution of ``D c ≈ y`` with
       ``D = A_1[:, S_1] ⊗ … ⊗ A_I[:, S_I]`` (columns in selection order);
    5. ``R = Y − C_c ×_1 A_1[:, S_1] ⋯ ×_I A_I[:, S_I]``, ``err = ‖R‖ / ‖y‖``;

    and stop after the iteration in which nothing was added, or once every ``|S_i| = s_i``,
    or when ``err ≤ tol``. The estimate is ``X̂[np.ix_(S_1, …, S_I)] = c.reshape(|S_1|, …)``,
    zero elsewhere, returned as ``X̂.ravel()``. ``D`` is never formed: as
    ``D⁺ = ⊗_i A_i[:, S_i]⁺``, ``c = Y ×_1 A_1[:, S_1]⁺ ⋯ ×_I A_I[:, S_I]⁺``.

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
    mats = check_factors(factors).factors
    n_fac = len(mats)
    in_shape = tuple(int(f.shape[1]) for f in mats)
    out_shape = tuple(int(f.shape[0]) for f in mats)
    y_arr = check_measurements(np.ravel(y), int(np.prod(out_shape)))
    caps = _sparsity_caps(sparsity, out_shape, in_shape)
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol}")

    dtype = np.result_type(y_arr.dtype, *mats, np.float64)
    adjoints = [f.conj().T for f in mats]
    Y = y_arr.astype(dtype, copy=False).reshape(out_shape)
    y_norm = float(np.linalg.norm(y_arr))
    sel: list[list[int]] = [[] for _ in mats]
    coef = np.zeros((0,) * n_fac, dtype=dtype)
    R, err_norm, n_iter = Y, y_norm, 0
    if y_norm > 0:
        while True:
            n_iter += 1
            corr = multi_mode_product(R, adjoints)
            best = np.unravel_index(int(np.argmax(np.abs(corr))), corr.shape)
            added = _select(best, sel, caps)
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


def _sparsity_caps(
    sparsity: int | Sequence[int] | None, out_shape: tuple[int, ...], in_shape: tuple[int, ...]
) -> tuple[int, ...]:
    """The number of indices to select per factor: ``sparsity`` (one level, or one per
    factor; ``None``: ``min(M_i, N_i)``) checked and capped at ``N_i``."""
    n_fac = len(in_shape)
    if sparsity is None:
        caps = tuple(min(m, n) for m, n in zip(out_shape, in_shape, strict=True))
    elif isinstance(sparsity, (int, np.integer)):
        caps = (int(sparsity),) * n_fac
    else:
        caps = tuple(int(s) for s in sparsity)
        if len(caps) != n_fac:
            raise ValueError(f"sparsity has {len(caps)} levels but there are {n_fac} factors")
    for i, s in enumerate(caps):
        if s < 1:
            raise ValueError(f"sparsity level {s} of factor {i} must be at least 1")
    return tuple(min(s, n) for s, n in zip(caps, in_shape, strict=True))


def _select(best: tuple[Any, ...], sel: list[list[int]], caps: tuple[int, ...]) -> bool:
    """Add each factor's index of ``best`` to its selection ``sel[i]`` (in place) unless it is
    there already or the selection is full; whether any was added."""
    added = False
    for i, a in enumerate(best):
        if int(a) not in sel[i] and len(sel[i]) < caps[i]:
            sel[i].append(int(a))
            added = True
    return added
