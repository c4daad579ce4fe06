"""Channel NMSE of an IRS estimate: per pattern (the paper's), pooled, and held out."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from krosbl.irs.paths import Paths
from krosbl.irs.training import draw_patterns
from krosbl.validation import check_int

__all__ = [
    "DEFAULT_HELDOUT_PATTERNS",
    "channel_nmse",
    "channels_of",
    "heldout_nmse",
    "matching_channels",
    "paths_of",
    "pooled_nmse",
]

#: Fresh IRS patterns drawn by :func:`heldout_nmse` by default.
DEFAULT_HELDOUT_PATTERNS = 100


def channels_of(obj: Any, name: str) -> NDArray:
    """Return the cascaded channels held by ``obj`` as an array of shape ``(K2, N_b, N_m)``.

    Parameters
    ----------
    obj : Estimate, Trial or array_like
        Anything with an ``H`` attribute, or the channels themselves.
    name : str
        Name used in error messages.

    Returns
    -------
    ndarray, shape (K2, N_b, N_m)
        The channels.

    Raises
    ------
    ValueError
        If they are not a 3-D array.
    """
    h = np.asarray(getattr(obj, "H", obj))
    if h.ndim != 3:
        raise ValueError(f"{name} channels must have shape (K2, N_b, N_m), got {h.shape}")
    return h


def _check_same_trial(estimate: Any, truth: Any) -> None:
    """Refuse an estimate made from an observation of another trial than ``truth``."""
    source = getattr(getattr(estimate, "observation", None), "trial", None)
    if source is not None and hasattr(truth, "H") and source is not truth:
        if not np.array_equal(source.H, truth.H):
            raise ValueError(
                f"the estimate comes from an observation of trial {source.index}, not of the "
                f"trial {truth.index} it is compared with"
            )


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
        If the shapes differ, or an :class:`~krosbl.irs.Estimate` is compared with a trial
        other than its own.
    """
    _check_same_trial(estimate, truth)
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
        The authors' normalisation (docs/theory.md, "Channel NMSE").

    Raises
    ------
    ValueError
        As :func:`matching_channels`.
    """
    h_hat, h = matching_channels(estimate, truth)
    err = np.linalg.norm(h_hat - h, axis=(1, 2)) ** 2
    return float(np.mean(err / np.linalg.norm(h, axis=(1, 2)) ** 2))


def pooled_nmse(estimate: Any | ArrayLike, truth: Any | ArrayLike) -> float:
    """Return the pooled channel NMSE ``Σ_k ‖Ĥ_k − H_k‖_F² / Σ_k ‖H_k‖_F²``.

    Unlike :func:`channel_nmse`, each pattern weighs in proportion to its energy.

    Parameters
    ----------
    estimate, truth
        As :func:`channel_nmse` (which also gives the errors raised).

    Returns
    -------
    float
        The pooled NMSE on the training patterns.
    """
    h_hat, h = matching_channels(estimate, truth)
    return float(np.linalg.norm(h_hat - h) ** 2 / np.linalg.norm(h) ** 2)


def paths_of(obj: Any, grid: int) -> Paths:
    """Return the paths of a channel estimate or truth.

    Parameters
    ----------
    obj : Paths, Estimate, Trial or array_like
        :class:`~krosbl.irs.Paths`; anything with a ``paths`` attribute (a trial's are at its
        continuous angles); or an on-grid angular estimate ``ẑ`` of ``G³`` entries.
    grid : int
        Grid size ``G`` (for an angular estimate).

    Returns
    -------
    Paths
        The channel as paths (for ``ẑ``, one per non-zero, at the grid angles).
    """
    if isinstance(obj, Paths):
        return obj
    paths = getattr(obj, "paths", None)
    if isinstance(paths, Paths):
        return paths
    return Paths.from_grid(getattr(obj, "z", obj), grid)


def heldout_nmse(
    estimate: Any,
    truth: Any,
    *,
    n_patterns: int = DEFAULT_HELDOUT_PATTERNS,
    rng: np.random.Generator | int | None = None,
) -> float:
    """Return the channel NMSE on fresh IRS patterns the estimate was not trained on.

    With ``K2 = 6`` training patterns and ``G = 18`` the training NMSE of He & Joseph (IEEE TSP
    2024, Section VI) cannot tell whether the channel was learned; held-out patterns can.

    Parameters
    ----------
    estimate : Estimate, Paths or array_like
        Anything :func:`paths_of` accepts.
    truth : Trial
        The trial; its channel is rebuilt from its continuous angles (:attr:`Trial.paths`).
    n_patterns : int, default 100
        Fresh patterns ``P``, ``1 <= P <= L``.
    rng : numpy.random.Generator or int or None, optional
        Source of the patterns (an ``int`` seeds a new generator; give every method of a trial
        the same seed).

    Returns
    -------
    float
        ``Σ_p ‖Ĥ_p − H_p‖_F² / Σ_p ‖H_p‖_F²`` over ``P`` patterns of the training law
        (``Scenario.pattern_phases``): 0 for the true channel, 1 for a zero estimate.

    Raises
    ------
    ValueError
        If ``n_patterns`` is out of range, or the estimate comes from another trial.
    TypeError
        If ``truth`` is not a trial, or ``n_patterns`` is not an integer.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl import irs
    >>> trial = irs.Run(irs.Scenario.paper(), seed=7).trial(0)
    >>> irs.heldout_nmse(trial, trial, rng=0), irs.heldout_nmse(np.zeros((18, 18, 18)), trial)
    (0.0, 1.0)
    """
    if not (hasattr(truth, "paths") and hasattr(truth, "scenario")):
        raise TypeError(f"truth must be a Trial, got {type(truth).__name__}")
    sc = truth.scenario
    n_patterns = check_int("n_patterns", n_patterns, minimum=1)
    if n_patterns > sc.n_irs:
        raise ValueError(
            f"n_patterns must be <= n_irs (L) = {sc.n_irs}, as for the training patterns, "
            f"got {n_patterns}"
        )
    _check_same_trial(estimate, truth)
    patterns = draw_patterns(np.random.default_rng(rng), sc.n_irs, n_patterns, sc.pattern_phases)
    h = truth.paths.channels(patterns, n_ms=sc.n_ms, n_bs=sc.n_bs)
    h_hat = paths_of(estimate, sc.grid).channels(patterns, n_ms=sc.n_ms, n_bs=sc.n_bs)
    return float(np.linalg.norm(h_hat - h) ** 2 / np.linalg.norm(h) ** 2)
