"""Optional compiled (Numba) kernels; the NumPy code they mirror stays the reference.

:func:`sweeps` is the whole M-step of :class:`krosbl.updates.SweepUpdate` (AM-KroSBL, KSBL,
PC-KroSBL) in one compiled call: the Gauss–Seidel sweeps over the factors, each factor's
contraction of ``Λ`` with the other factors' weights, the non-negative least squares of a
coupled factor (Lawson–Hanson), the normalisation and the inner stopping test. At the sizes
of the IRS problem each of those is a few microseconds of arithmetic behind a few
microseconds of NumPy call overhead, which the compiled loop does not pay. Selected with the
setting ``kernel="numba"``; it needs the ``fast`` extra (``pip install 'krosbl[fast]'``).
The tests hold it to the NumPy path (``kernel="numpy"``) on small random problems.

References
----------
.. [1] C. L. Lawson and R. J. Hanson, *Solving Least Squares Problems*, SIAM, 1995, ch. 23.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["available", "sweeps"]

NUMBA_HINT = "kernel='numba' needs Numba: pip install 'krosbl[fast]'"


def available() -> bool:
    """Whether Numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _lstsq(a: NDArray, cols: NDArray, b: NDArray) -> NDArray:
    """``argmin_z ‖a[:, cols] z − b‖`` for full column rank (Householder QR, back
    substitution), in explicit loops: no temporaries at these sizes."""
    m, n = a.shape[0], len(cols)
    r = np.empty((n, m))  # the columns, one per row: contiguous for the reflections
    for j in range(n):
        for i in range(m):
            r[j, i] = a[i, cols[j]]
    y = b.copy()
    for k in range(n):
        norm = 0.0
        for i in range(k, m):
            norm += r[k, i] * r[k, i]
        norm = math.sqrt(norm)
        if norm == 0.0:
            continue
        head = r[k, k] + (norm if r[k, k] >= 0.0 else -norm)
        vv = head * head + norm * norm - r[k, k] * r[k, k]
        for j in range(k, n + 1):
            col = y if j == n else r[j]
            dot = head * col[k]
            for i in range(k + 1, m):
                dot += r[k, i] * col[i]
            f = 2.0 * dot / vv
            col[k] -= f * head
            for i in range(k + 1, m):
                col[i] -= f * r[k, i] if j != k else 0.0
        for i in range(k + 1, m):  # the reflected column k is (−sign·norm, 0, …, 0)
            r[k, i] = 0.0
    z = np.zeros(n)
    for i in range(n - 1, -1, -1):
        acc = y[i]
        for j in range(i + 1, n):
            acc -= r[j, i] * z[j]
        z[i] = acc / r[i, i]
    return z


def _gradient(a: NDArray, b: NDArray, x: NDArray) -> NDArray:
    """``aᵀ(b − a x)``, the negative gradient of ``½‖a x − b‖²``."""
    m, n = a.shape
    residual = b.copy()
    for i in range(m):
        for j in range(n):
            residual[i] -= a[i, j] * x[j]
    w = np.zeros(n)
    for i in range(m):
        for j in range(n):
            w[j] += a[i, j] * residual[i]
    return w


def _nnls(a: NDArray, b: NDArray, max_iter: int, start: NDArray) -> NDArray:
    """``argmin_{x ≥ 0} ‖a x − b‖`` by the active-set method of Lawson and Hanson [1]_,
    warm-started from the positive entries of ``start`` when the least-squares solution on
    them is positive (a feasible start of the method's outer loop), else from ``x = 0``."""
    m, n = a.shape
    x = np.zeros(n)
    passive = start > 0.0
    tol = 10.0 * 2.220446049250313e-16 * max(m, n) * max(np.abs(a).sum(axis=0).max(), 1.0)
    if passive.any():
        cols = np.flatnonzero(passive)
        z = _lstsq(a, cols, b)
        if z.min() > 0.0:
            for c in range(len(cols)):
                x[cols[c]] = z[c]
        else:
            passive[:] = False
    w = _gradient(a, b, x)
    for _ in range(max_iter):
        best, j = tol, -1
        for k in range(n):
            if not passive[k] and w[k] > best:
                best, j = w[k], k
        if j < 0:
            break
        passive[j] = True
        while True:
            cols = np.flatnonzero(passive)
            z = np.zeros(n)
            sol = _lstsq(a, cols, b)
            for c in range(len(cols)):
                z[cols[c]] = sol[c]
            alpha, blocked = 2.0, False
            for col in cols:
                if z[col] <= 0.0:
                    blocked = True
                    alpha = min(alpha, x[col] / (x[col] - z[col]))
            if not blocked:
                x = z
                break
            for k in range(n):
                x[k] += alpha * (z[k] - x[k])
                if passive[k] and x[k] <= tol:
                    passive[k] = False
                    x[k] = 0.0
        w = _gradient(a, b, x)
    return x


def _contract(lam: NDArray, shape: NDArray, weights: NDArray, offsets: NDArray, i: int) -> NDArray:
    """``T[a] = Σ_{index_i = a} Λ[…] Π_{k≠i} weights_k[index_k]`` (``Λ`` flat, C order): the
    weights before and after axis ``i`` as two Kronecker vectors, two matrix–vector products on
    unfoldings of ``Λ`` (:func:`krosbl.updates._contract_others`)."""
    left = np.ones(1)
    for k in range(i):
        left = np.outer(left, weights[offsets[k] : offsets[k + 1]]).ravel()
    right = np.ones(1)
    for k in range(i + 1, len(shape)):
        right = np.outer(right, weights[offsets[k] : offsets[k + 1]]).ravel()
    n = shape[i]
    middle = left @ lam.reshape(len(left), n * len(right))
    return middle.reshape(n, len(right)) @ right


def _set_weights(gamma: NDArray, weights: NDArray, start: int) -> None:
    """``1/(l γ)`` with ``1/0`` taken as 0 (:func:`krosbl.updates._weights`)."""
    scale = 1.0 / len(gamma)
    for a in range(len(gamma)):
        weights[start + a] = scale / gamma[a] if gamma[a] > 0.0 else 0.0


def _normalise(gammas: NDArray, offsets: NDArray) -> NDArray:
    """Unit norm for every factor but the last, which takes the product (in place)."""
    order = len(offsets) - 1
    scales = np.ones(order)
    for k in range(order - 1):
        g = gammas[offsets[k] : offsets[k + 1]]
        norm = math.sqrt(np.dot(g, g))
        scales[k] = 1.0 / norm if norm > 0.0 else 1.0
    scales[order - 1] = 1.0 / np.prod(scales[: order - 1])
    for k in range(order):
        gammas[offsets[k] : offsets[k + 1]] *= scales[k]
    return scales


def _kron_distance(a: NDArray, b: NDArray, offsets: NDArray, relative: bool) -> float:
    """:func:`krosbl.linalg.kron_distance` of two concatenated factor lists."""
    dist_sq, cross, norm_sq = 0.0, 0.0, 1.0
    for k in range(len(offsets) - 1):
        ai, bi = a[offsets[k] : offsets[k + 1]], b[offsets[k] : offsets[k + 1]]
        di = ai - bi
        aa, ad, ab = np.dot(ai, ai), np.dot(ai, di), np.dot(ai, bi)
        bd, dd = np.dot(bi, di), np.dot(di, di)
        dist_sq, cross = dist_sq * aa + norm_sq * dd + 2 * cross * ad, cross * ab + norm_sq * bd
        norm_sq *= np.dot(bi, bi)
    dist = math.sqrt(max(dist_sq, 0.0))
    if not relative:
        return dist
    if norm_sq > 0.0:
        return dist / math.sqrt(norm_sq)
    return 0.0 if dist == 0.0 else math.inf


def _sweeps(
    lam: NDArray,
    shape: NDArray,
    gammas: NDArray,
    offsets: NDArray,
    couplings: NDArray,
    coupled: NDArray,
    floor: float,
    tol: float,
    relative: bool,
    cap: int,
    normalise: bool,
    starts: NDArray,
) -> tuple[NDArray, NDArray, int, bool]:
    """The loop of :meth:`krosbl.updates.SweepUpdate.update` on concatenated factors."""
    order = len(shape)
    each_sweep = normalise and coupled.any()
    weights = np.zeros(len(gammas))
    for k in range(order):
        _set_weights(gammas[offsets[k] : offsets[k + 1]], weights, offsets[k])
    uncoupled = starts.copy()
    sweeps, capped = 0, False
    while True:
        previous = gammas.copy()
        for i in range(order):
            target = _contract(lam, shape, weights, offsets, i)
            if coupled[i]:
                n = shape[i]
                c = couplings[offsets[i] : offsets[i + 1], :n].copy()
                g = _nnls(c, target, 3 * n, uncoupled[offsets[i] : offsets[i + 1]])
                uncoupled[offsets[i] : offsets[i + 1]] = g
                target = floor + c @ g
            gammas[offsets[i] : offsets[i + 1]] = target
            _set_weights(target, weights, offsets[i])
        if each_sweep:
            scales = _normalise(gammas, offsets)
            for k in range(order):
                weights[offsets[k] : offsets[k + 1]] /= scales[k]
        sweeps += 1
        if _kron_distance(gammas, previous, offsets, relative) <= tol:
            break
        if sweeps == cap:
            capped = True
            break
    if normalise and not each_sweep:
        _normalise(gammas, offsets)
    return gammas, uncoupled, sweeps, capped


@cache
def _compiled() -> Callable[..., Any]:
    """Compile the kernels (cached on disk by Numba after the first run)."""
    try:
        import numba
    except ImportError:
        raise ImportError(NUMBA_HINT) from None
    jit = numba.njit(cache=True)
    namespace = globals()
    for name in (
        "_lstsq",
        "_gradient",
        "_nnls",
        "_contract",
        "_set_weights",
        "_normalise",
        "_kron_distance",
    ):
        namespace[name] = jit(namespace[name])
    return jit(_sweeps)


def sweeps(
    second_moment: NDArray,
    gammas: Sequence[NDArray],
    couplings: Sequence[NDArray | None],
    *,
    floor: float,
    tol: float,
    relative: bool,
    cap: int,
    normalise: bool,
    starts: Mapping[int, NDArray],
) -> tuple[list[NDArray], dict[int, NDArray], int, bool]:
    """The sweeps of :meth:`krosbl.updates.SweepUpdate.update`, compiled.

    Parameters
    ----------
    second_moment : ndarray
        ``Λ`` over the kept tensor, shape ``(l_1, …, l_I)``.
    gammas : sequence of ndarray
        The current factors (length ``l_i``).
    couplings : sequence of ndarray or None
        Each factor's coupling matrix on its kept entries (``None``: uncoupled).
    floor, tol, relative, cap, normalise
        ``ε``, the inner tolerance, whether it is relative, the sweep cap and whether the
        factors are normalised (:class:`~krosbl.updates.SweepUpdate`).
    starts : mapping of int to ndarray
        The previous NNLS solution of a coupled factor, a warm start of its first sweep when
        it has the factor's current length (later sweeps start from the sweep before).

    Returns
    -------
    gammas : list of ndarray
        The new factors.
    uncoupled : dict
        The non-negative least-squares solution ``g_i`` of each coupled factor.
    sweeps : int
        Sweeps run.
    capped : bool
        Whether the cap stopped them before the tolerance.
    """
    kernel = _compiled()
    lengths = np.array([len(g) for g in gammas], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    stacked = np.zeros((int(offsets[-1]), int(lengths.max())))
    coupled = np.array([c is not None for c in couplings])
    warm = np.zeros(int(offsets[-1]))
    for i, c in enumerate(couplings):
        if c is not None:
            stacked[offsets[i] : offsets[i + 1], : len(c)] = c
            if i in starts and len(starts[i]) == len(c):
                warm[offsets[i] : offsets[i + 1]] = starts[i]
    flat, uncoupled, count, capped = kernel(
        np.ascontiguousarray(second_moment, dtype=float).ravel(),
        lengths,
        np.concatenate(gammas).astype(float),
        offsets,
        stacked,
        coupled,
        floor,
        tol,
        relative,
        cap,
        normalise,
        warm,
    )
    parts = np.split(flat, offsets[1:-1])
    solutions = {i: uncoupled[offsets[i] : offsets[i + 1]].copy() for i in np.flatnonzero(coupled)}
    return parts, {int(i): g for i, g in solutions.items()}, int(count), bool(capped)
