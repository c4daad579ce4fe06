"""Channel estimation: run a krosbl solver on an IRS observation (spec §8.5, §9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from krosbl import presets
from krosbl.api import Result, recover
from krosbl.irs._validate import check_finite
from krosbl.irs.paths import Paths
from krosbl.irs.trial import Observation
from krosbl.settings import SolverSettings
from krosbl.validation import check_method

__all__ = ["HIGH_SNR_DB", "Estimate", "estimate", "irs_settings"]

#: SNR (dB) from which SVD-KroSBL uses the ``"irs-high-snr"`` preset (relative pruning 1e-3).
HIGH_SNR_DB = 25.0


@dataclass(frozen=True, eq=False)
class Estimate:
    """A channel estimate of one observation.

    Parameters
    ----------
    H : ndarray of complex128, shape (K2, N_b, N_m)
        Rebuilt cascaded channels ``Ĥ_k`` (spec §8.4).
    z : ndarray of complex128, shape (G, G, G), or None
        Angular estimate ``ẑ`` (the solver's ``x`` reshaped); ``None`` for an estimate made of
        continuous paths (``"oracle-angles"``).
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


def irs_settings(method: str, snr_db: float) -> SolverSettings | None:
    """Return the IRS preset of a method at an SNR.

    Parameters
    ----------
    method : str
        A method name of :func:`krosbl.methods` (case-insensitive).
    snr_db : float
        The SNR of the observation (dB).

    Returns
    -------
    SolverSettings or None
        ``presets.get("irs", method)``, or ``"irs-high-snr"`` for SVD-KroSBL at
        ``snr_db >= 25``; ``None`` (krosbl's default) for a method without an IRS preset
        (``"ksbl"``, ``"kron-omp"``, ``"omp"``: not part of the paper's IRS experiment).

    Notes
    -----
    Spec §9, IRS rows; Appendix A, R10.
    """
    method = check_method(method).name
    snr_db = check_finite("snr_db", snr_db)
    experiment = "irs-high-snr" if method == "svd-krosbl" and snr_db >= HIGH_SNR_DB else "irs"
    if method not in presets.PRESETS[experiment]:
        return None
    return presets.get(experiment, method)


def estimate(obs: Observation, method: str = "pc-krosbl", **options: Any) -> Estimate:
    """Estimate the cascaded channels of an observation.

    Parameters
    ----------
    obs : Observation
        Noisy measurement (from :meth:`krosbl.irs.Trial.observe`).
    method : str, default "pc-krosbl"
        A method of :func:`krosbl.methods` (case-insensitive); the paper's IRS methods are
        ``"sbl"``, ``"pc-sbl"``, ``"svd-krosbl"``, ``"am-krosbl"`` and ``"pc-krosbl"``;
        ``"oracle-ls"`` solves least squares on the trial's true support.
    **options
        Passed to :func:`krosbl.recover`: ``SolverSettings`` fields that override the IRS
        preset (e.g. ``beta=0.5``, ``max_iter=20``), or ``settings=`` to replace it.

    Returns
    -------
    Estimate
        ``Ĥ`` (rebuilt with the trial's patterns), ``ẑ`` and the solver result.

    Notes
    -----
    Spec §8.5 and §9. Runs ``krosbl.recover(obs.y, Kron(F1, F2, F3), method,
    noise_var=obs.noise_var, settings=irs_settings(method, obs.snr_db), **options)``; the
    noise variance is the known ``σ²``, as in the paper.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl import irs
    >>> trial = irs.Run(irs.Scenario.paper(), seed=7).trial(0)
    >>> obs = trial.observe(20.0, rng=np.random.default_rng(1))
    >>> est = irs.estimate(obs, "svd-krosbl")
    >>> est.H.shape, est.z.shape
    ((6, 16, 6), (18, 18, 18))
    """
    if not isinstance(obs, Observation):
        raise TypeError(f"obs must be an Observation, got {type(obs).__name__}")
    method = check_method(method).name
    trial = obs.trial
    options.setdefault("settings", irs_settings(method, obs.snr_db))
    if method == "oracle-ls":
        options.setdefault("support", trial.support)
    result = recover(obs.y, trial.operator, method, noise_var=obs.noise_var, **options)
    z = np.asarray(result.x).reshape(trial.scenario.unknown_shape)
    paths = Paths.from_grid(z, trial.scenario.grid)
    return Estimate(H=trial.rebuild(z), z=z, result=result, observation=obs, paths=paths)
