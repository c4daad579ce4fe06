"""Uniform linear array responses, on the angular grid and at any angle."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from krosbl.validation import check_int

__all__ = ["array_dictionary", "array_response", "grid_angles", "wrap_angles"]


def grid_angles(grid: int) -> NDArray[np.float64]:
    """Return the grid of normalised angles ``θ_g = 2g/G − 1``, ``g = 0, …, G−1``.

    Parameters
    ----------
    grid : int
        Number of grid points ``G`` (at least 1).

    Returns
    -------
    ndarray of float64, shape (G,)
        ``θ_g`` in ``[−1, 1)``, the sine of the physical angle (the authors' ``Res1`` grid;
        docs/theory.md, "Arrays and grid").
    """
    grid = check_int("grid", grid, minimum=1)
    return 2.0 * np.arange(grid) / grid - 1.0


def array_dictionary(n: int, grid: int) -> NDArray[np.complex128]:
    """Return the array dictionary ``A_n = [a_n(0), …, a_n(G−1)]`` of an ``n``-element ULA.

    Parameters
    ----------
    n : int
        Number of antennas or IRS elements (at least 1).
    grid : int
        Number of grid points ``G`` (at least 1).

    Returns
    -------
    ndarray of complex128, shape (n, G)
        ``A[k, g] = a_n(g)[k] = n^{−1/2} e^{jπθ_g k}`` with ``θ_g = 2g/G − 1``.

    Notes
    -----
    Half-wavelength uniform linear arrays for the MS, the BS and the IRS (the IRS is
    linear as well; 256 = 16² is only its element count). The phase ``πθ_g k`` is reduced
    modulo ``2π`` in integer arithmetic, ``πθ_g k = π((2g − G)k mod 2G)/G``, so large arrays
    keep full precision.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl.irs import array_dictionary
    >>> A = array_dictionary(16, 18)
    >>> A.shape, bool(np.allclose(np.linalg.norm(A, axis=0), 1.0))
    ((16, 18), True)
    """
    n = check_int("n", n, minimum=1)
    grid = check_int("grid", grid, minimum=1)
    phase = np.mod(np.outer(np.arange(n), 2 * np.arange(grid) - grid), 2 * grid)
    return np.exp(1j * np.pi * phase / grid) / np.sqrt(n)


def wrap_angles(theta: ArrayLike) -> NDArray[np.float64]:
    """Wrap sin-domain angles to ``[−1, 1)``.

    Parameters
    ----------
    theta : array_like of float
        Angles (any shape).

    Returns
    -------
    ndarray of float64
        ``((θ + 1) mod 2) − 1``, same shape; never ``1.0`` (a rounding to the upper end is
        mapped to ``−1``). ULA responses have period 2 in ``θ``, so no response changes.
    """
    out = np.mod(np.asarray(theta, dtype=np.float64) + 1.0, 2.0) - 1.0
    return np.where(out >= 1.0, out - 2.0, out)


def array_response(n: int, theta: ArrayLike, *, derivative: bool = False) -> NDArray[np.complex128]:
    """Return the responses ``a_n(θ) = n^{−1/2} e^{jπθk}``, ``k = 0..n−1``, at any angles.

    Parameters
    ----------
    n : int
        Number of antennas or IRS elements (at least 1).
    theta : array_like of float, shape (P,) or scalar
        Sin-domain angles (continuous; any real value, the response has period 2).
    derivative : bool, default False
        Return ``∂a_n/∂θ = jπk ⊙ a_n(θ)`` instead.

    Returns
    -------
    ndarray of complex128, shape (n, P) (or (n,) for a scalar angle)
        One unit-norm column per angle (or its derivative).

    Notes
    -----
    The continuous counterpart of :func:`array_dictionary` (equal to it at the grid angles up
    to rounding). The phase ``θk`` is reduced modulo 2 before it is multiplied by ``π``.
    He & Joseph (IEEE TSP 2024), Section VI.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl.irs import array_response, array_dictionary
    >>> bool(np.allclose(array_response(16, [-1.0, 0.0]), array_dictionary(16, 2)))
    True
    """
    n = check_int("n", n, minimum=1)
    angles = np.asarray(theta, dtype=np.float64)
    k = np.arange(n)
    phase = np.mod(np.multiply.outer(k, angles), 2.0)
    a = np.exp(1j * np.pi * phase) / np.sqrt(n)
    if derivative:
        a *= (1j * np.pi * k).reshape((n,) + (1,) * angles.ndim)
    return a
