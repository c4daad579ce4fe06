"""The channel estimate of one IRS observation (what every IRS estimator returns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from krosbl.api import Result
from krosbl.irs.paths import Paths
from krosbl.irs.trial import Observation

__all__ = ["Estimate"]


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
    observation : Observation
        What was estimated from.
    paths : Paths
        The estimate as paths (angles and gains): the non-zeros of ``ẑ`` at their grid angles,
        or the continuous paths of a path estimate. :func:`krosbl.irs.heldout_nmse` rebuilds
        the channel on fresh patterns from them.
    """

    H: NDArray[np.complex128]
    z: NDArray[np.complex128] | None
    result: Result
    observation: Observation
    paths: Paths

    @property
    def method(self) -> str:
        """The method that produced the estimate."""
        return self.result.method
