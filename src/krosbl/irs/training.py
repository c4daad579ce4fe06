"""Training signals: MS pilots and IRS phase patterns, as the paper's IRS experiment draws them."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from krosbl.irs._random import random_signs

__all__ = ["PATTERN_PHASES", "draw_patterns", "draw_pilots"]

#: The laws :func:`draw_patterns` draws IRS phases from.
PATTERN_PHASES = ("binary", "continuous")


def draw_pilots(rng: np.random.Generator, n_ms: int, n_pilots: int) -> NDArray[np.complex128]:
    """Draw the pilot matrix ``X``: i.i.d. QPSK entries ``(±1 ± j)/√2`` scaled by ``1/√N_m``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (real signs first, then imaginary signs).
    n_ms : int
        MS antennas ``N_m``.
    n_pilots : int
        Pilot blocks ``K1``.

    Returns
    -------
    ndarray of complex128, shape (N_m, K1)
        Unit-norm columns (drawn once per run in the paper's experiment, departure R3 in
        docs/reproduction.md).
    """
    re = random_signs(rng, (n_ms, n_pilots))
    im = random_signs(rng, (n_ms, n_pilots))
    return (re + 1j * im) / np.sqrt(2.0 * n_ms)


def draw_patterns(
    rng: np.random.Generator, n_irs: int, n_patterns: int, phases: str = "binary"
) -> NDArray:
    """Draw IRS phase patterns ``Ψ``: i.i.d. entries ``±1/√L`` (the paper's) or ``e^{jϑ}/√L``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_irs : int
        IRS elements ``L``.
    n_patterns : int
        Number of patterns to draw (``K2``, or 1 for a redraw).
    phases : {"binary", "continuous"}, default "binary"
        ``"binary"``: phases 0 or π, entries ``±1/√L`` (float64); ``"continuous"``: phases
        ``ϑ ~ U[0, 2π)``, entries ``e^{jϑ}/√L`` (complex128), as in He & Joseph,
        arXiv:2412.00310.

    Returns
    -------
    ndarray of float64 or complex128, shape (L, n_patterns)
        Columns ``ψ_k`` with unit norm.

    Raises
    ------
    ValueError
        If ``phases`` is not one of :data:`PATTERN_PHASES`.
    """
    if phases == "binary":
        return random_signs(rng, (n_irs, n_patterns)) / np.sqrt(n_irs)
    if phases == "continuous":
        return np.exp(2j * np.pi * rng.random((n_irs, n_patterns))) / np.sqrt(n_irs)
    raise ValueError(f"phases must be one of {PATTERN_PHASES}, got {phases!r}")
