"""Recovery metrics (docs/theory.md, "Metrics")."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["error_energy", "nmse", "support_recovery_rate"]


def nmse(x_hat: ArrayLike, x: ArrayLike) -> float:
    """Normalised mean squared error ``‖x̂ − x‖² / ‖x‖²`` of one run.

    Parameters
    ----------
    x_hat, x : array_like
        Estimate and truth, same shape; ``x`` must not be all zeros.

    Returns
    -------
    float

    Examples
    --------
    >>> nmse([1.0, 0.0], [2.0, 0.0])
    0.25
    """
    err, ref = error_energy(x_hat, x)
    if ref == 0:
        raise ValueError("NMSE is undefined for an all-zero true vector")
    return err / ref


def error_energy(x_hat: ArrayLike, x: ArrayLike) -> tuple[float, float]:
    """The error and true energies ``(‖x̂ − x‖², ‖x‖²)``, the two sums a pooled NMSE adds up.

    Parameters
    ----------
    x_hat, x : array_like
        Estimate and truth, same shape.

    Returns
    -------
    tuple of float

    Examples
    --------
    >>> error_energy([1.0, 0.0], [2.0, 0.0])
    (1.0, 4.0)
    """
    a, b = np.asarray(x_hat), np.asarray(x)
    if a.shape != b.shape:
        raise ValueError(f"x_hat has shape {a.shape} but x has shape {b.shape}")
    return float(np.sum(np.abs(a - b) ** 2)), float(np.sum(np.abs(b) ** 2))


def support_recovery_rate(x_hat: ArrayLike, x: ArrayLike, rel_threshold: float = 1e-3) -> float:
    """Support recovery rate ``|Ŝ ∩ S| / |Ŝ ∪ S|`` (intersection over union of the supports).

    Parameters
    ----------
    x_hat, x : array_like
        Estimate and truth, same shape.
    rel_threshold : float
        ``Ŝ = {j : |x̂_j| > rel_threshold · max|x̂|}`` (empty if ``x̂ = 0``); ``S = {j : x_j ≠ 0}``.

    Returns
    -------
    float
        In ``[0, 1]``; 1 when both supports are empty.

    Examples
    --------
    >>> support_recovery_rate([1.0, 0.5, 0.0], [1.0, 0.0, 0.0])
    0.5
    """
    a, b = np.abs(np.asarray(x_hat)).ravel(), np.asarray(x).ravel()
    if a.shape != b.shape:
        raise ValueError(f"x_hat has {a.size} entries but x has {b.size}")
    peak = a.max(initial=0.0)
    est = a > rel_threshold * peak if peak > 0 else np.zeros(a.shape, dtype=bool)
    true = b != 0
    union = np.count_nonzero(est | true)
    return 1.0 if union == 0 else float(np.count_nonzero(est & true) / union)
