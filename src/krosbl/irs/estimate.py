"""Channel estimation: run a krosbl solver on an IRS observation, with the paper's IRS presets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from krosbl import presets
from krosbl.api import Result, recover, recover_tasks
from krosbl.batch_api import recover_batch
from krosbl.irs.channel_estimate import (
    Estimate,
    Observed,
    check_observations,
    check_observed,
    needs_truth,
)
from krosbl.irs.offgrid import offgrid_estimate, offgrid_estimate_joint
from krosbl.irs.offsbl import offsbl_estimate
from krosbl.irs.oracle import oracle_angles
from krosbl.irs.paths import Paths
from krosbl.methods import available_methods, get_method
from krosbl.settings import SolverSettings
from krosbl.validation import check_real

__all__ = [
    "HIGH_SNR_DB",
    "IRS_METHODS",
    "Estimate",
    "estimate",
    "estimate_batch",
    "estimate_joint",
    "irs_methods",
    "irs_settings",
]

#: SNR (dB) from which SVD-KroSBL uses the ``"irs-high-snr"`` preset (relative pruning 1e-3).
HIGH_SNR_DB = 25.0

#: Estimators of the IRS module itself, beside the krosbl solvers of
#: :func:`krosbl.available_methods`.
IRS_METHODS: dict[str, Callable[..., Estimate]] = {
    "offgrid": offgrid_estimate,
    "offsbl": offsbl_estimate,
    "oracle-angles": oracle_angles,
}


def irs_methods() -> list[str]:
    """Return every method name :func:`estimate` accepts, sorted.

    Returns
    -------
    list of str
        The krosbl solvers (:func:`krosbl.available_methods`) and the IRS module's own estimators
        (``"offgrid"``, ``"offsbl"``, ``"oracle-angles"``).
    """
    return sorted([*available_methods(), *IRS_METHODS])


def _irs_method(method: str) -> str | None:
    """The IRS-module method named ``method``, ``None`` for a krosbl solver; else an error."""
    name = method.lower() if isinstance(method, str) else None
    if name in IRS_METHODS:
        return name
    try:
        get_method(method)
    except ValueError:
        raise ValueError(
            f"unknown IRS method {method!r}; valid methods are {irs_methods()}"
        ) from None
    return None


def irs_settings(method: str, snr_db: float | None = None) -> SolverSettings | None:
    """Return the IRS preset of a method at an SNR.

    Parameters
    ----------
    method : str
        A method name of :func:`krosbl.available_methods` (case-insensitive).
    snr_db : float, optional
        The SNR of the observation (dB), when known.

    Returns
    -------
    SolverSettings or None
        ``presets.get("irs", method)``, or ``"irs-high-snr"`` for SVD-KroSBL at a known
        ``snr_db >= 25`` (docs/theory.md, "Per-experiment settings"); ``None`` (the default)
        for a method without an IRS preset (``"ksbl"``, ``"kron-omp"``, ``"omp"``: departure
        R10 in docs/reproduction.md) and for the IRS module's own estimators.
    """
    high = snr_db is not None and check_real("snr_db", snr_db) >= HIGH_SNR_DB
    if _irs_method(method) is not None:
        return None
    method = get_method(method).name
    experiment = "irs-high-snr" if method == "svd-krosbl" and high else "irs"
    if method not in presets.PRESETS[experiment]:
        return None
    return presets.get(experiment, method)


def estimate(obs: Observed, method: str = "pc-krosbl", **options: Any) -> Estimate:
    """Estimate the cascaded channels of an observation.

    Parameters
    ----------
    obs : Measurement or Observation
        A measurement of any :class:`~krosbl.irs.System` (noise variance known, or ``None``:
        learned), or a simulated observation (:meth:`krosbl.irs.Trial.observe`).
    method : str, default "pc-krosbl"
        A method of :func:`krosbl.available_methods` (case-insensitive; ``"oracle-ls"``: least
        squares on a simulated trial's true support), or ``"offgrid"``
        (:func:`krosbl.irs.offgrid.offgrid_estimate`), ``"offsbl"``
        (:func:`krosbl.irs.offsbl_estimate`), ``"oracle-angles"``
        (:func:`krosbl.irs.oracle.oracle_angles`).
    **options
        Passed to :func:`krosbl.recover`: ``SolverSettings`` fields that override the IRS
        preset (e.g. ``beta=0.5``), or ``settings=`` to replace it; the IRS module's own
        estimators take their own keyword arguments (and ``settings=None``).

    Returns
    -------
    Estimate
        ``Ĥ`` (rebuilt with the trial's patterns), ``ẑ``, the paths and the solver result.

    Raises
    ------
    ValueError
        If ``method`` is unknown (the message lists :func:`irs_methods`), or needs the true
        channel (``"oracle-ls"``, ``"oracle-angles"``) and ``obs`` is a measurement.
    TypeError
        If ``obs`` is neither a :class:`~krosbl.irs.Measurement` nor an
        :class:`~krosbl.irs.Observation`, or an IRS-module estimator is given an option it
        does not take.

    Notes
    -----
    Runs ``krosbl.recover(obs.y, Kron(F1, F2, F3), method, noise_var=obs.noise_var,
    settings=irs_settings(method, snr_db), **options)`` (:attr:`krosbl.irs.System.factors`).

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
    obs = check_observed(obs)
    irs_method = _irs_method(method)
    if irs_method is not None:
        if options.get("settings", None) is None:
            options.pop("settings", None)
        return IRS_METHODS[irs_method](obs, **options)
    solver = get_method(method)
    options.setdefault("settings", irs_settings(solver.name, _snr_db(obs)))
    if solver.takes_support:
        options.setdefault("support", needs_truth(obs, solver.name).trial.support)
    result = recover(obs.y, obs.system.operator, solver.name, noise_var=obs.noise_var, **options)
    return _grid_estimate(obs, result)


def _snr_db(obs: Observed) -> float | None:
    """The SNR of a simulated observation; ``None`` for a measurement."""
    return getattr(obs, "snr_db", None)


def _grid_estimate(obs: Observed, result: Result) -> Estimate:
    """The estimate whose angular ``ẑ`` is the solver's ``x`` (one vector)."""
    system = obs.system
    z = np.asarray(result.x).reshape((system.grid,) * 3)
    paths = Paths.from_grid(z, system.grid)
    return Estimate(H=system.rebuild(z), z=z, result=result, observation=obs, paths=paths)


def estimate_batch(
    observations: Sequence[Observed],
    method: str = "pc-krosbl",
    settings: SolverSettings | str | None = None,
    **overrides: Any,
) -> list[Estimate]:
    """Estimate the channels of several observations of one trial in one solver call.

    Parameters
    ----------
    observations : sequence of Measurement or Observation
        Measurements of one system (one dictionary), e.g. a trial at every SNR.
    method : str
        A method of :func:`krosbl.available_methods`.
    settings : SolverSettings or str, optional
        Settings for every observation; default: the IRS preset at the first observation's
        SNR (:func:`irs_settings`), so pass them when the preset changes across the SNRs.
    **overrides
        Settings fields, as :func:`estimate`.

    Returns
    -------
    list of Estimate
        :func:`estimate` of each observation (to rounding), from one
        :func:`krosbl.recover_batch` call (``time_s`` each one's share).

    Raises
    ------
    ValueError
        No observations, observations of different systems, known and unknown noise
        variances mixed, a method the IRS module adds or ``"oracle-ls"``: those estimate one
        observation at a time.
    """
    obs = check_observations(observations)
    system = obs[0].system
    if any(o.system is not system for o in obs):
        raise ValueError("estimate_batch takes observations of one system (one dictionary)")
    if _irs_method(method) is not None:
        raise ValueError(f"{method!r} estimates one observation at a time: use estimate()")
    solver = get_method(method)
    if settings is None:
        settings = irs_settings(solver.name, _snr_db(obs[0]))
    known = [o.noise_var for o in obs if o.noise_var is not None]
    if known and len(known) < len(obs):
        raise ValueError("estimate_batch takes noise variances all known or all learned (None)")
    results = recover_batch(
        np.array([o.y for o in obs]),
        system.operator,
        solver.name,
        known or None,
        settings=settings,
        **overrides,
    )
    return [_grid_estimate(o, r) for o, r in zip(obs, results)]


def estimate_joint(
    observations: Sequence[Observed], method: str = "svd-krosbl", **options: Any
) -> list[Estimate]:
    """Estimate the channels of several coherence blocks of one channel together.

    The blocks share one prior ``γ = γ_1 ⊗ γ_2 ⊗ γ_3``: snapshots when they share the IRS
    patterns (M-SBL, :func:`krosbl.recover` with ``Y`` of shape ``(M, B)``), else tasks
    (multi-task SBL, :func:`krosbl.recover_tasks`, learning from all ``K2·B`` patterns).

    Parameters
    ----------
    observations : sequence of Measurement or Observation
        One per block of one channel (e.g. :func:`krosbl.irs.observe_blocks`), with one noise
        variance (or all ``None``: learned), of systems of one shape.
    method : str, default "svd-krosbl"
        ``"sbl"``, ``"pc-sbl"``, ``"am-krosbl"``, ``"svd-krosbl"``, ``"pc-krosbl"``, ``"ksbl"``,
        ``"dkrosbl"`` (shared factor supports), ``"offgrid"`` (shared continuous angles,
        :func:`krosbl.irs.offgrid.offgrid_estimate_joint`) or ``"oracle-angles"`` (per block).
    **options
        As :func:`estimate` (default settings: the IRS preset at the first observation's SNR).

    Returns
    -------
    list of Estimate
        One per block, its own ``ẑ`` and ``Ĥ``; ``result`` the joint one restricted to the
        block (``x``, ``x_var``, ``time_s`` its share).

    Raises
    ------
    ValueError
        No observations, systems of different shapes or grids, different noise variances, or
        a method without a joint form (the greedy methods, ``"offsbl"``).
    """
    obs = check_observations(observations)
    first = obs[0]
    shape = (first.system.measurement_shape, first.system.n_ms, first.system.grid)
    if any((o.system.measurement_shape, o.system.n_ms, o.system.grid) != shape for o in obs):
        raise ValueError("estimate_joint takes blocks of systems of one shape and grid")
    if any(o.noise_var != first.noise_var for o in obs):
        raise ValueError(
            "the blocks' noise variances differ: a joint estimate has one σ² "
            "(observe the blocks with krosbl.irs.observe_blocks)"
        )
    irs_method = _irs_method(method)
    if irs_method is not None:
        if options.get("settings", None) is None:
            options.pop("settings", None)
        if irs_method == "offgrid":
            return offgrid_estimate_joint(obs, **options)
        if irs_method == "offsbl":
            raise ValueError("'offsbl' has no joint form: estimate each block with estimate()")
        return [IRS_METHODS[irs_method](o, **options) for o in obs]  # the true angles: per block
    solver = get_method(method)
    options.setdefault("settings", irs_settings(solver.name, _snr_db(first)))
    Y = np.column_stack([o.y for o in obs])
    shared = all(np.array_equal(o.system.patterns, first.system.patterns) for o in obs)
    if shared:
        result = recover(Y, first.system.operator, solver.name, first.noise_var, **options)
    else:
        ops = [o.system.operator for o in obs]
        result = recover_tasks(Y, ops, solver.name, first.noise_var, **options)
    estimates = []
    for b, o in enumerate(obs):
        x_var = result.x_var
        if x_var is not None and x_var.ndim == 2:
            x_var = x_var[:, b]
        block = replace(result, x=result.x[:, b], x_var=x_var, time_s=result.time_s / len(obs))
        estimates.append(_grid_estimate(o, block))
    return estimates
