"""The two random draws of the IRS model: complex Gaussians and random signs."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["complex_normal", "random_signs"]


def complex_normal(
    rng: np.random.Generator, size: int | tuple[int, ...], variance: float = 1.0
) -> NDArray[np.complex128]:
    """Draw i.i.d. circularly symmetric complex Gaussians ``CN(0, variance)``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness; the real parts are drawn first, then the imaginary parts.
    size : int or tuple of int
        Output shape.
    variance : float, default 1.0
        ``E|w|²``; each of the real and imaginary parts has variance ``variance / 2``.

    Returns
    -------
    ndarray of complex128
        The draws.
    """
    re = rng.standard_normal(size)
    im = rng.standard_normal(size)
    return np.sqrt(variance / 2.0) * (re + 1j * im)


def random_signs(rng: np.random.Generator, size: int | tuple[int, ...]) -> NDArray[np.float64]:
    """Draw i.i.d. signs, ``+1`` or ``-1`` with probability 1/2 each.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    size : int or tuple of int
        Output shape.

    Returns
    -------
    ndarray of float64
        Entries in ``{-1.0, +1.0}``.
    """
    return 2.0 * rng.integers(0, 2, size=size).astype(np.float64) - 1.0
