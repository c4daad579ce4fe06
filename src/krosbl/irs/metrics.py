"""Channel NMSE of an IRS estimate (spec §6.3)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["channel_nmse", "channels_of", "matching_channels"]


def channels_of(obj: Any, name: str) -> NDArray:
    """Return the cascaded channels held by ``obj`` as an array of shape ``(K2, N_b, N_m)``.

    Parameters
    ----------
    obj : Estimate, Trial or array_like
        Anything with an ``H`` attribute (an :class:`~krosbl.irs.Estimate` or a
        :class:`~krosbl.irs.Trial`), or the channels themselves.
    name : str
        Name used in error messages.

    Returns
    -------
    ndarray, shape (K2, N_b, N_m)
        The channels, one ``N_b × N_m`` matrix per pattern.

    Raises
    ------
    ValueError
        If the channels are not a 3-D array.
    """
    h = np.asarray(getattr(obj, "H", obj))
    if h.ndim != 3:
        raise ValueError(f"{name} channels must have shape (K2, N_b, N_m), got {h.shape}")
    return h


def matching_channels(estimate: Any, truth: Any) -> tuple[NDArray, NDArray]:
    """Return ``(Ĥ, H)`` after checking that they have the same patterns and antennas.

    Parameters
    ----------
    estimate : Estimate or array_like
        The estimate or its channels.
    truth : Trial or array_like
        The trial or its true channels.

    Returns
    -------
    h_hat : ndarray, shape (K2, N_b, N_m)
        Estimated channels.
    h : ndarray, shape (K2, N_b, N_m)
        True channels.

    Raises
    ------
    ValueError
        If the shapes differ, e.g. more patterns in the estimate than in the run, or an
        :class:`~krosbl.irs.Estimate` is compared with a trial other than the one it was
        estimated from.
    """
    source = getattr(getattr(estimate, "observation", None), "trial", None)
    if source is not None and hasattr(truth, "H") and source is not truth:
        if not np.array_equal(source.H, truth.H):
            raise ValueError(
                f"the estimate comes from an observation of trial {source.index}, not of the "
                f"trial {truth.index} it is compared with"
            )
    h_hat, h = channels_of(estimate, "estimated"), channels_of(truth, "true")
    if h_hat.shape != h.shape:
        raise ValueError(
            f"estimated channels have shape {h_hat.shape} (n_patterns = {h_hat.shape[0]}) "
            f"but the true ones {h.shape} (n_patterns = {h.shape[0]})"
        )
    return h_hat, h


def channel_nmse(estimate: Any | ArrayLike, truth: Any | ArrayLike) -> float:
    """Return the channel NMSE ``(1/K2) Σ_k ‖Ĥ_k − H_k‖_F² / ‖H_k‖_F²``.

    Parameters
    ----------
    estimate : Estimate or array_like, shape (K2, N_b, N_m)
        The estimate (or its channels ``Ĥ``).
    truth : Trial or array_like, shape (K2, N_b, N_m)
        The trial (or its true channels ``H``).

    Returns
    -------
    float
        Mean over patterns of the per-pattern normalised squared error.

    Raises
    ------
    ValueError
        If the two do not have the same number of patterns or antennas.

    Notes
    -----
    Spec §6.3 (the authors' per-pattern normalisation); experiments average it over trials.
    """
    h_hat, h = matching_channels(estimate, truth)
    err = np.linalg.norm(h_hat - h, axis=(1, 2)) ** 2
    return float(np.mean(err / np.linalg.norm(h, axis=(1, 2)) ** 2))
