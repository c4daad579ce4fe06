"""The plain-function entry point: ``krosbl.recover(y, A, method, ...) -> Result``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import greedy, presets
from .em import run_em
from .methods import Method
from .operators import Kron
from .posterior import RESCALE_HINT, posterior_memory
from .priors import KronPrior
from .settings import SolverSettings
from .validation import check_dictionary, check_measurements, check_method, check_noise_var

__all__ = ["Result", "memory_estimate", "recover"]


@dataclass
class Result:
    """Outcome of one recovery.

    Attributes
    ----------
    x : ndarray
        Estimate of the unknown, flat, ``numpy.kron`` order, zeros at pruned entries.
    method : str
        The method that produced it.
    support : ndarray of int
        Flat indices of the entries kept (not pruned; selected, for greedy methods).
    n_iter : int
        Iterations run.
    converged : bool
        Whether the stopping tolerance was met before the iteration cap.
    noise_var : float or None
        ``σ²`` used at the end (learned when ``noise_learned``).
    noise_learned : bool
        Whether ``σ²`` was estimated.
    time_s : float
        Solver time per spec §6.5 (iterations only).
    gamma : ndarray or None
        Final prior variances, full length (PC-SBL: ``1/α``, as the reference returns).
    gammas : list of ndarray or None
        Kronecker methods: final factor hyperparameters, full length ``N_i``, zeros at pruned
        entries.
    cost : ndarray
        SBL objective ``log det Σ_y + yᴴΣ_y⁻¹y`` at each iteration's E-step.
    mean_history : list of ndarray
        Per-iteration E-step means (with ``record_history=True``).
    settings : SolverSettings or None
        The settings used.
    message : str
        A note on anything unusual (e.g. all-zero measurements).
    details : dict
        Method-specific extras (PC-SBL ``alpha``; PC-KroSBL ``uncoupled`` NNLS solutions;
        inner sweep counts; Kronecker OMP selections).
    """

    x: NDArray
    method: str
    support: NDArray
    n_iter: int
    converged: bool
    noise_var: float | None
    noise_learned: bool
    time_s: float
    gamma: NDArray | None = None
    gammas: list[NDArray] | None = None
    cost: NDArray = field(default_factory=lambda: np.zeros(0))
    mean_history: list[NDArray] = field(default_factory=list)
    settings: SolverSettings | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _resolve_settings(
    method: Method, settings: SolverSettings | str | None, overrides: dict[str, Any]
) -> SolverSettings:
    if settings is None:
        base = presets.default(method.name)
    elif isinstance(settings, str):
        base = presets.get(settings, method.name)
    elif isinstance(settings, SolverSettings):
        base = settings
    else:
        raise TypeError(
            f"settings must be a SolverSettings, a preset name or None, got {type(settings)}"
        )
    return base.replace(**overrides) if overrides else base


def _zero_result(
    method: Method, n: int, dtype: np.dtype, noise_var: float | None, settings: SolverSettings
) -> Result:
    msg = "y is all zeros: the estimate is zero and no solver was run"
    warnings.warn(msg, RuntimeWarning, stacklevel=3)
    return Result(
        x=np.zeros(n, dtype=dtype),
        method=method.name,
        support=np.zeros(0, dtype=np.intp),
        n_iter=0,
        converged=True,
        noise_var=noise_var,
        noise_learned=noise_var is None,
        time_s=0.0,
        settings=settings,
        message=msg,
    )


def recover(
    y: ArrayLike,
    A: Any,
    method: str = "svd-krosbl",
    noise_var: float | None = None,
    *,
    settings: SolverSettings | str | None = None,
    support: ArrayLike | None = None,
    record_history: bool = False,
    callback: Callable[[int, Any, Any], None] | None = None,
    **overrides: Any,
) -> Result:
    """Recover a sparse vector ``x`` from ``y = A x + n``.

    Parameters
    ----------
    y : array_like, shape (M,)
        Measurements, real or complex.
    A : Kron, list of array_like, or ndarray
        The dictionary: a :class:`~krosbl.Kron`, the list of its factors ``[A_1, …, A_I]``
        (``A = A_1 ⊗ … ⊗ A_I``, ``numpy.kron`` order) or, for unstructured methods, a dense
        ``(M, N)`` matrix.
    method : str
        One of :func:`krosbl.methods` (``"svd-krosbl"``, ``"am-krosbl"``, ``"pc-krosbl"``,
        ``"ksbl"``, ``"sbl"``, ``"pc-sbl"``, ``"kron-omp"``, ``"omp"``, ``"oracle-ls"``).
    noise_var : float or None
        Known noise variance ``σ² > 0``; ``None`` learns it (SBL family; spec §2.5). OMP
        stops at ``‖r‖ ≤ σ√M``; Kronecker OMP and oracle least squares do not use it.
    settings : SolverSettings or str, optional
        Solver settings or the name of a preset experiment (see :mod:`krosbl.presets`);
        default :func:`krosbl.presets.default`.
    support : array_like of int, optional
        The true support (flat indices), required by ``"oracle-ls"``.
    record_history : bool
        Keep the E-step mean of every iteration in ``Result.mean_history``.
    callback : callable, optional
        SBL family: called as ``callback(t, prior, posterior)`` after each E-step, with the
        iteration ``t``, the prior (:class:`~krosbl.priors.KronPrior` or
        :class:`~krosbl.priors.FlatPrior`) and the :class:`~krosbl.posterior.Posterior` over
        the kept columns, e.g. to record statistics of ``Λ = d + |μ|²``; read-only.
    **overrides
        Any :class:`~krosbl.settings.SolverSettings` field, e.g. ``max_iter=50``.

    Returns
    -------
    Result

    Raises
    ------
    ValueError
        Unknown method, mismatched shapes, NaN or inf in ``y`` or ``A``, ``noise_var ≤ 0``,
        empty factors, a dense matrix for a Kronecker method, bad settings, ``support`` given
        to a method other than ``"oracle-ls"`` (or missing for it).
    FloatingPointError
        The iteration left floating point (a non-finite posterior, a failed factorisation,
        pruning that removes every entry): ``y``, ``A`` and ``noise_var`` need rescaling.

    Notes
    -----
    Model ``y = (A_1 ⊗ … ⊗ A_I) x + n``, ``x ~ N(0, diag γ)``. The Kronecker methods constrain
    ``γ = γ_1 ⊗ … ⊗ γ_I`` and never form the Kronecker product: the E-step uses per-factor
    eigendecompositions and mode products. A dtype mix (real ``A``, complex ``y``) is solved in
    complex arithmetic.

    References
    ----------
    .. [1] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse vector
       recovery with application to IRS-MIMO channel estimation", IEEE Trans. Signal
       Process., 2024, arXiv:2307.14719.

    Examples
    --------
    >>> import numpy as np, krosbl
    >>> rng = np.random.default_rng(0)
    >>> A1, A2 = rng.standard_normal((10, 12)), rng.standard_normal((9, 12))
    >>> x = np.kron(np.eye(12)[3], np.eye(12)[7]) * 2.0
    >>> y = np.kron(A1, A2) @ x
    >>> res = krosbl.recover(y, [A1, A2], "svd-krosbl", noise_var=1e-6)
    >>> int(np.argmax(np.abs(res.x)))
    43
    """
    spec = check_method(method)
    op = check_dictionary(A, spec)
    y_arr = check_measurements(y, op.shape[0])
    sigma2 = check_noise_var(noise_var)
    resolved = _resolve_settings(spec, settings, overrides)
    dtype = np.result_type(y_arr, op.dtype, np.float64)
    if support is not None and spec.name != "oracle-ls":
        raise ValueError(f"support= is used by method 'oracle-ls' only, not {spec.name!r}")
    if spec.name == "oracle-ls" and support is None:
        raise ValueError("method 'oracle-ls' needs the true support: pass support=...")
    if not np.any(y_arr):
        return _zero_result(spec, op.shape[1], dtype, sigma2, resolved)
    if spec.build is None:
        return _recover_greedy(spec, y_arr, op, sigma2, resolved, support)
    if resolved.noiseless:
        if sigma2 is not None:
            raise ValueError("noiseless settings use the σ² → 0 limit: pass noise_var=None")
        sigma2 = 0.0
    prior, rule = spec.build(op, resolved)
    n_factors = op.n_factors if isinstance(op, Kron) else 1
    ratios = None
    if resolved.prune_ratio is not None:
        ratios = resolved.per_factor("prune_ratio", n_factors if prior.structured else 1)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    try:
        out = run_em(
            y_arr,
            op,
            prior,
            rule,
            prune_ratios=ratios,
            prune_abs=resolved.prune_abs,
            tol=resolved.tol,
            max_iter=resolved.max_iter,
            noise_var=sigma2,
            record_history=record_history,
            callback=callback,
        )
    except (np.linalg.LinAlgError, ZeroDivisionError, OverflowError) as err:
        raise FloatingPointError(
            f"{spec.name} broke down numerically ({type(err).__name__}: {err}); {RESCALE_HINT}"
        ) from err
    details: dict[str, Any] = {k: v for k, v in vars(rule).items() if k not in ("stop_on",)}
    gamma = prior.embedded()
    alpha = details.get("alpha")
    if alpha is not None:
        gamma = 1.0 / alpha
    gammas = None
    if isinstance(prior, KronPrior):
        gammas = []
        for g, k, n in zip(prior.gammas, prior.keep, prior.in_shape):
            full = np.zeros(n)
            full[k] = g
            gammas.append(full)
    return Result(
        x=out.mean,
        method=spec.name,
        support=prior.support(),
        n_iter=out.n_iter,
        converged=out.converged,
        noise_var=out.noise_var,
        noise_learned=noise_var is None and not resolved.noiseless,
        time_s=out.time_s,
        gamma=gamma,
        gammas=gammas,
        cost=out.cost,
        mean_history=out.mean_history,
        settings=resolved,
        details=details,
    )


def _recover_greedy(
    spec: Method,
    y: NDArray,
    op: Any,
    noise_var: float | None,
    settings: SolverSettings,
    support: ArrayLike | None,
) -> Result:
    if spec.name == "kron-omp":
        fit = greedy.kron_omp(
            y, op.factors, settings.per_factor("sparsity", op.n_factors), tol=settings.omp_tol
        )
    elif spec.name == "omp":
        fit = greedy.omp(y, op, noise_var=noise_var, max_atoms=settings.max_atoms)
    else:
        fit = greedy.oracle_ls(y, op, support)
    return Result(
        x=fit.x,
        method=spec.name,
        support=fit.support,
        n_iter=fit.n_iter,
        converged=True,
        noise_var=noise_var,
        noise_learned=False,
        time_s=fit.time_s,
        settings=settings,
        details={
            k: v for k, v in vars(fit).items() if k not in ("x", "support", "n_iter", "time_s")
        },
    )


def memory_estimate(A: Any, method: str = "svd-krosbl") -> int:
    """Bytes one solve is expected to need at its peak, before running it.

    Parameters
    ----------
    A : Kron, list of array_like or ndarray
        The dictionary (only its shapes and dtype are used).
    method : str
        The method.

    Returns
    -------
    int
        Estimated peak bytes of the solver's working arrays (inputs excluded).

    Examples
    --------
    >>> import numpy as np, krosbl
    >>> f = [np.ones((50, 100))] * 3
    >>> krosbl.memory_estimate(f, "svd-krosbl") < 2**30
    True
    """
    spec = check_method(method)
    op = check_dictionary(A, spec)
    itemsize = np.dtype(op.dtype).itemsize
    if isinstance(op, Kron):
        return posterior_memory(op.in_shape, op.out_shape, spec.kronecker, itemsize)
    m, n = op.shape
    return itemsize * (4 * m * m + 3 * m * n + 8 * n)
