"""The channel estimate of one IRS observation (what every IRS estimator returns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from krosbl.api import Result
from krosbl.irs.paths import Paths
from krosbl.irs.system import Measurement
from krosbl.irs.trial import Observation

__all__ = ["Estimate", "Observed", "check_observed"]

#: What an IRS estimator takes: a measurement of any system, or a simulated observation.
Observed: TypeAlias = Observation | Measurement


def check_observed(obs: object, name: str = "obs") -> Observed:
    """Return ``obs`` if it is a :class:`~krosbl.irs.Measurement` or an
    :class:`~krosbl.irs.Observation`; else raise ``TypeError`` naming ``name``."""
    if not isinstance(obs, Observation | Measurement):
        raise TypeError(
            f"{name} must be a krosbl.irs.Measurement or a simulated krosbl.irs.Observation, "
            f"got {type(obs).__name__}"
        )
    return obs


def check_observations(observations: Sequence[object]) -> list[Observed]:
    """The observations, checked: a non-empty sequence of measurements or observations."""
    obs = [check_observed(o, "observations[i]") for o in observations]
    if not obs:
        raise ValueError("observations must be a non-empty sequence")
    return obs


def needs_truth(obs: Observed, method: str) -> Observation:
    """``obs`` as a simulated :class:`~krosbl.irs.Observation`; a ``ValueError`` for a
    measurement, which has no true grid support for ``method`` to use."""
    if not isinstance(obs, Observation):
        raise ValueError(
            f"{method!r} uses the true grid support of a simulated trial: give a krosbl.irs."
            "Observation, not a Measurement"
        )
    return obs


def true_paths_of(obs: Observed, method: str) -> Paths:
    """The true paths of a simulated observation or measurement; a ``ValueError`` without."""
    if obs.paths is None:
        raise ValueError(
            f"{method!r} uses the true paths of the channel: give a Measurement with paths= "
            "(a simulation) or a simulated Observation"
        )
    return obs.paths


@dataclass(frozen=True, eq=False)
class Estimate:
    """A channel estimate of one observation.

    Parameters
    ----------
    H : ndarray of complex128, shape (K2, N_b, N_m)
        Rebuilt cascaded channels ``Ĥ_k`` (from ``ẑ`` by :func:`krosbl.irs.rebuild_channels`,
        or from the estimated paths).
    z : ndarray of complex128, shape (G, G, G), or None
        Angular estimate ``ẑ`` (the solver's ``x`` reshaped); ``None`` for an estimate made of
        continuous paths (``"offgrid"``, ``"oracle-angles"``).
    result : krosbl.Result
        The solver's full output (for a path estimate: ``x`` holds the path gains).
    observation : Measurement or Observation
        What was estimated from.
    paths : Paths
        The estimate as paths (angles and gains): the non-zeros of ``ẑ`` at their grid angles,
        or the continuous paths of a path estimate. :func:`krosbl.irs.heldout_nmse` rebuilds
        the channel on fresh patterns from them.
    """

    H: NDArray[np.complex128]
    z: NDArray[np.complex128] | None
    result: Result
    observation: Observed
    paths: Paths

    @classmethod
    def from_paths(cls, obs: Observed, paths: Paths, result: Result) -> Estimate:
        """The estimate made of continuous ``paths``: the channels rebuilt on the training
        patterns, no angular ``z``.

        Parameters
        ----------
        obs : Measurement or Observation
            What was estimated from.
        paths : Paths
            The estimated paths.
        result : krosbl.Result
            The estimator's output (``x``: the path gains).

        Returns
        -------
        Estimate
        """
        system = obs.system
        channels = paths.channels(system.patterns, n_ms=system.n_ms, n_bs=system.n_bs)
        return cls(H=channels, z=None, result=result, observation=obs, paths=paths)

    @property
    def z_var(self) -> NDArray[np.float64] | None:
        """Posterior marginal variance of each entry of ``ẑ`` (SBL-family methods), shape
        ``(G, G, G)``; ``None`` for greedy and path estimates.

        Notes
        -----
        The variance of ``Ĥ`` is not returned: that of an entry ``c_kᴴ z`` of ``Ĥ_k``,
        ``c_kᴴ Σ_z c_k``, needs the posterior covariance between entries of ``z``, which a
        Kronecker prior never forms (it is ``G³ × G³``).
        """
        var = self.result.x_var
        return None if var is None or self.z is None else var.reshape(self.z.shape)

    @property
    def method(self) -> str:
        """The method that produced the estimate."""
        return self.result.method
