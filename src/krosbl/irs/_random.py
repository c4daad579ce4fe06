"""The two random draws of the IRS model: complex Gaussians and random signs."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["complex_normal", "random_signs"]


def complex_normal(
    rng: np.random.Generator, size: int | tuple[int, ...], variance: float = 1.0
) -> NDArray[np.complex128]:
    """I.i.d. circularly symmetric ``CN(0, variance)`` draws of shape ``size`` (real parts
    drawn first, then the imaginary parts, each of variance ``variance / 2``)."""
    re = rng.standard_normal(size)
    im = rng.standard_normal(size)
    return np.sqrt(variance / 2.0) * (re + 1j * im)


def random_signs(rng: np.random.Generator, size: int | tuple[int, ...]) -> NDArray[np.float64]:
    """I.i.d. signs ``±1.0`` (float64), each with probability 1/2, of shape ``size``."""
    return 2.0 * rng.integers(0, 2, size=size).astype(np.float64) - 1.0
