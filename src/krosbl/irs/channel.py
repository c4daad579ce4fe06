"""Physical MS→IRS→BS channels and the cascaded channel of each IRS pattern."""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

from krosbl.irs.arrays import array_dictionary, array_response
from krosbl.irs.geometry import Geometry
from krosbl.irs.scenario import Scenario
from krosbl.irs.training import draw_patterns

__all__ = [
    "WEAK_CHANNEL_THRESHOLD",
    "cascaded_channels",
    "physical_channels",
    "redraw_weak_patterns",
]

logger = logging.getLogger(__name__)

#: Frobenius norm below which a pattern's cascaded channel counts as vanishing.
WEAK_CHANNEL_THRESHOLD = 1e-5

_MAX_REDRAWS = 1000


def physical_channels(
    geometry: Geometry, scenario: Scenario
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """Return the MS→IRS channel ``H1`` and the IRS→BS channel ``H2``.

    Parameters
    ----------
    geometry : Geometry
        Angles and gains of the trial.
    scenario : Scenario
        Array sizes and grid.

    Returns
    -------
    H1 : ndarray of complex128, shape (L, N_m)
        ``c_1 (Σ_j α_a[j] a_L(a_0+j)) a_{N_m}(m)ᴴ`` with ``c_1 = √(N_m L / s)``.
    H2 : ndarray of complex128, shape (N_b, L)
        ``c_2 (Σ_j α_b[j] a_{N_b}(b_0+j)) a_L(d)ᴴ`` with ``c_2 = √(N_b L / s)``.

    Notes
    -----
    Rank one per hop: one departure angle, an arrival cluster of ``s`` angles (docs/theory.md);
    off the grid, at the angles ``geometry.angles(G)`` (He & Joseph, arXiv:2412.00310).
    """
    s = geometry.spread
    c1 = np.sqrt(scenario.n_ms * scenario.n_irs / s)
    c2 = np.sqrt(scenario.n_bs * scenario.n_irs / s)
    if geometry.offsets is None:
        grid = scenario.grid
        a_irs = array_dictionary(scenario.n_irs, grid)
        a_ms = array_dictionary(scenario.n_ms, grid)
        a_bs = array_dictionary(scenario.n_bs, grid)
        irs_in = a_irs[:, geometry.irs_arrival : geometry.irs_arrival + s] @ geometry.irs_gains
        bs_in = a_bs[:, geometry.bs_arrival : geometry.bs_arrival + s] @ geometry.bs_gains
        ms_out = a_ms[:, geometry.ms_departure]
        irs_out = a_irs[:, geometry.irs_departure]
    else:
        angles = geometry.angles(scenario.grid)
        irs_in = array_response(scenario.n_irs, angles.irs_arrival) @ geometry.irs_gains
        bs_in = array_response(scenario.n_bs, angles.bs_arrival) @ geometry.bs_gains
        ms_out = array_response(scenario.n_ms, angles.ms_departure)
        irs_out = array_response(scenario.n_irs, angles.irs_departure)
    h1 = c1 * np.outer(irs_in, ms_out.conj())
    h2 = c2 * np.outer(bs_in, irs_out.conj())
    return h1, h2


def cascaded_channels(
    h1: NDArray[np.complex128], h2: NDArray[np.complex128], patterns: NDArray
) -> NDArray[np.complex128]:
    """Return ``H_k = H2 diag(ψ_k) H1`` for every pattern.

    Parameters
    ----------
    h1 : ndarray, shape (L, N_m)
        MS→IRS channel.
    h2 : ndarray, shape (N_b, L)
        IRS→BS channel.
    patterns : ndarray, shape (L, K2)
        IRS patterns ``Ψ``.

    Returns
    -------
    ndarray of complex128, shape (K2, N_b, N_m)
        The cascaded channel of each pattern ``ψ_k`` (column ``k`` of ``Ψ``).
    """
    return np.einsum("bl,lk,ln->kbn", h2, patterns, h1, optimize=True)


def redraw_weak_patterns(
    h1: NDArray[np.complex128],
    h2: NDArray[np.complex128],
    patterns: NDArray,
    rng: np.random.Generator,
    threshold: float = WEAK_CHANNEL_THRESHOLD,
    phases: str = "binary",
) -> NDArray:
    """Redraw every pattern whose cascaded channel is (nearly) zero.

    Parameters
    ----------
    h1, h2 : ndarray
        The channels, as :func:`cascaded_channels`.
    patterns : ndarray, shape (L, K2)
        IRS patterns; not modified.
    rng : numpy.random.Generator
        Source of the redraws.
    threshold : float, default 1e-5
        A pattern is redrawn while ``‖H2 diag(ψ_k) H1‖_F < threshold``.
    phases : {"binary", "continuous"}, default "binary"
        The law of the redraws (:func:`krosbl.irs.draw_patterns`).

    Returns
    -------
    ndarray, shape (L, K2)
        ``patterns`` itself when nothing was redrawn (always, with the paper's sizes), else a
        copy with the weak columns redrawn (departure R2 in docs/reproduction.md), each redraw
        logged at WARNING level.

    Raises
    ------
    RuntimeError
        If 1000 redraws of one pattern all fail (only possible for degenerate channels).
    """
    norms = np.linalg.norm(cascaded_channels(h1, h2, patterns), axis=(1, 2))
    weak = np.flatnonzero(norms < threshold)
    if weak.size == 0:
        return patterns
    out = np.array(patterns)
    n_irs = out.shape[0]
    for k in weak:
        for attempt in range(1, _MAX_REDRAWS + 1):
            out[:, k] = draw_patterns(rng, n_irs, 1, phases)[:, 0]
            norm = np.linalg.norm(cascaded_channels(h1, h2, out[:, k : k + 1]))
            if norm >= threshold:
                logger.warning(
                    "IRS pattern %d gave ‖H_k‖_F = %.3g < %.3g; redrawn %d time(s)",
                    k,
                    norms[k],
                    threshold,
                    attempt,
                )
                break
        else:
            raise RuntimeError(
                f"IRS pattern {k}: {_MAX_REDRAWS} redraws all gave ‖H_k‖_F < {threshold}"
            )
    return out
