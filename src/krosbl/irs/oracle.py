"""The true-angle oracle: the trial's continuous angles, least-squares gains."""

from __future__ import annotations

import time

import numpy as np

from krosbl.api import Result
from krosbl.irs.channel_estimate import Estimate, Observed, check_observed, true_paths_of

__all__ = ["oracle_angles"]


def oracle_angles(obs: Observed) -> Estimate:
    """Estimate the channel with the true continuous angles and least-squares gains.

    Parameters
    ----------
    obs : Observation or Measurement
        Noisy measurement of a simulated channel (on or off the grid): an observation, or a
        measurement with its true ``paths``; without them it is refused.

    Returns
    -------
    Estimate
        ``z = None``; ``paths`` at the true angles (:attr:`krosbl.irs.Trial.paths`)
        with the gains ``ĝ = argmin ‖y − A(θ) g‖₂``; ``H`` rebuilt from them; ``result.x`` the
        gains, ``result.method = "oracle-angles"``, ``result.time_s`` the solve.

    Notes
    -----
    Each of the ``s²`` paths ``(δ, φ, β)`` has the measurement column
    ``f(δ) ⊗ Xᵀ conj(a_{N_m}(φ)) ⊗ a_{N_b}(β)`` (:meth:`krosbl.irs.Paths.atoms`), and
    ``ĝ = A⁺ y``. Without noise it is exact whenever the columns are independent (e.g.
    ``K2 >= s``); knowing the angles and the number of paths, it is the limit of the off-grid
    estimators (He & Joseph, arXiv:2412.00310).

    Examples
    --------
    >>> from krosbl import irs
    >>> trial = irs.Run(irs.Scenario(off_grid=0.5), seed=7).trial(0)
    >>> est = irs.estimate(trial.observe(20.0, rng=1), method="oracle-angles")
    >>> est.z is None, len(est.paths), est.H.shape
    (True, 9, (6, 16, 6))
    """
    truth = true_paths_of(check_observed(obs), "oracle-angles")
    system = obs.system
    atoms = truth.atoms(system.patterns, system.pilots, system.n_bs)
    start = time.perf_counter()
    gains, *_ = np.linalg.lstsq(atoms, obs.y, rcond=None)
    elapsed = time.perf_counter() - start
    paths = truth.with_gains(gains)
    result = Result(
        x=gains,
        method="oracle-angles",
        support=np.arange(len(paths)),
        n_iter=1,
        converged=True,
        noise_var=obs.noise_var,
        noise_learned=False,
        time_s=elapsed,
        message="least squares on the true continuous angles",
    )
    return Estimate.from_paths(obs, paths, result)
