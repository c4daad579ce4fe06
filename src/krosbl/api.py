"""The plain-function entry point: ``krosbl.recover(y, A, method, ...) -> Result``."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import presets
from .methods import METHODS, EMMethod, Method, get_method
from .operators import Kron
from .result import Result
from .settings import SolverSettings
from .tasks import Tasks
from .validation import (
    Problem,
    check_dictionary,
    check_measurements,
    check_noise_var,
    check_support,
)

__all__ = [
    "Result",
    "check_problem",
    "memory_estimate",
    "recover",
    "recover_tasks",
    "resolve_settings",
]


def resolve_settings(
    method: Method, settings: SolverSettings | str | None, overrides: dict[str, Any]
) -> SolverSettings:
    """The settings of one solve: the method's defaults, a preset or a given record, with
    ``overrides`` applied (errors as :func:`recover`'s ``settings`` and ``overrides``)."""
    if settings is None:
        base = SolverSettings(method.name)
    elif isinstance(settings, str):
        base = presets.get(settings, method.name)
    elif isinstance(settings, SolverSettings):
        if settings.method != method.name:
            raise TypeError(f"settings are for method {settings.method!r}, not {method.name!r}")
        base = settings
    else:
        raise TypeError(
            f"settings must be a SolverSettings, a preset name or None, got {type(settings)}"
        )
    return base.replace(**overrides) if overrides else base


def check_problem(
    method: Method, y: ArrayLike, A: Any, noise_var: Any, support: ArrayLike | None = None
) -> Problem:
    """Check every input of one solve for ``method`` and bundle them (errors as
    :func:`recover`)."""
    op = check_dictionary(A, kronecker=method.kronecker, operator=method.operator)
    shape = np.shape(y)
    if len(shape) == 2 and min(shape) > 1 and not method.snapshots:
        takers = sorted(n for n, m in METHODS.items() if m.snapshots)
        raise ValueError(
            f"method {method.name!r} takes one measurement vector, got y of shape {shape}; "
            f"the methods that take several snapshots sharing one support are {takers}"
        )
    y_arr = check_measurements(y, op.shape[0], snapshots=method.snapshots)
    problem = Problem(y=y_arr, op=op, noise_var=check_noise_var(noise_var))
    if problem.n_factors < method.min_factors:
        takers = sorted(n for n, m in METHODS.items() if not m.kronecker)
        raise ValueError(
            f"method {method.name!r} needs at least {method.min_factors} Kronecker factors, "
            f"got {problem.n_factors}; methods for a single dictionary are {takers}"
        )
    if method.takes_support:
        return Problem(y_arr, op, problem.noise_var, check_support(support, op.shape[1]))
    if support is not None:
        raise ValueError(f"support= is used by method 'oracle-ls' only, not {method.name!r}")
    return problem


def zero_result(method: Method, problem: Problem, settings: SolverSettings) -> Result:
    """The result for an all-zero ``y`` (zero estimate, no solver run), with a warning."""
    msg = "y is all zeros: the estimate is zero and no solver was run"
    warnings.warn(msg, RuntimeWarning, stacklevel=3)
    n = problem.op.shape[1]
    return Result(
        x=np.zeros((n, *problem.y.shape[1:]), dtype=problem.dtype),
        method=method.name,
        support=np.zeros(0, dtype=np.intp),
        n_iter=0,
        converged=True,
        noise_var=problem.noise_var,
        noise_learned=False,
        time_s=0.0,
        x_var=np.zeros(n) if method.variances else None,
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
    y : array_like, shape (M,) or (M, T)
        Measurements, real or complex: one vector, or ``T`` snapshots (columns) whose unknowns
        share one support (M-SBL [2]_; every SBL method, dKroSBL, simultaneous OMP and oracle
        least squares). ``x`` then has shape ``(N, T)``; ``x_var`` is shared by the snapshots,
        ``(N,)`` (dKroSBL: ``(N, T)``).
    A : Kron, list of array_like, or ndarray
        The dictionary: a :class:`~krosbl.Kron`, the list of its factors ``[A_1, …, A_I]``
        (``A = A_1 ⊗ … ⊗ A_I``, ``numpy.kron`` order) or, for unstructured methods, a dense
        ``(M, N)`` matrix.
    method : str
        One of :func:`krosbl.available_methods` (``"svd-krosbl"``, ``"am-krosbl"``, ``"pc-krosbl"``,
        ``"ksbl"``, ``"sbl"``, ``"pc-sbl"``, ``"kron-omp"``, ``"omp"``, ``"oracle-ls"``).
    noise_var : float or None
        Known noise variance ``σ² > 0``; ``None`` learns it by EM (SBL family). OMP stops at
        ``‖r‖ ≤ σ√M``; Kronecker OMP and oracle least squares do not use it.
    settings : SolverSettings or str, optional
        Solver settings of this method or the name of a preset (see :mod:`krosbl.presets`,
        e.g. ``"irs"`` for the paper's IRS rows); default: the method's neutral defaults.
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
        Settings the method reads, e.g. ``max_iter=50`` (``krosbl.SolverSettings(method)``
        shows them with their defaults).

    Returns
    -------
    Result

    Raises
    ------
    ValueError
        Unknown method, mismatched shapes, NaN or inf in ``y`` or ``A``, ``noise_var ≤ 0``,
        empty factors, a dense matrix (or too few factors) for a Kronecker method, a setting
        out of range, ``support`` given to a method other than ``"oracle-ls"`` (or missing
        for it).
    TypeError
        A setting the method does not read (the message lists those it reads), or an
        argument of the wrong type.
    FloatingPointError
        The iteration left floating point (a non-finite posterior, a failed factorisation,
        pruning that removes every entry): ``y``, ``A`` and ``noise_var`` need rescaling.

    Notes
    -----
    Model ``y = (A_1 ⊗ … ⊗ A_I) x + n``, ``x ~ N(0, diag γ)``; the Kronecker methods constrain
    ``γ = γ_1 ⊗ … ⊗ γ_I`` and never form the Kronecker product. Real ``A`` with complex ``y``
    is solved in complex arithmetic.

    References
    ----------
    .. [1] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse vector
       recovery with application to IRS-MIMO channel estimation", IEEE Trans. Signal
       Process., 2024, arXiv:2307.14719.
    .. [2] D. P. Wipf and B. D. Rao, "An empirical Bayesian strategy for solving the
       simultaneous sparse approximation problem", IEEE Trans. Signal Process. 55(7), 2007.

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
    solver = get_method(method)
    resolved = resolve_settings(solver, settings, overrides)
    problem = check_problem(solver, y, A, noise_var, support)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if (record_history or callback is not None) and not isinstance(solver, EMMethod):
        raise ValueError(f"method {solver.name!r} has no EM iterations to record or call back")
    if not np.any(problem.y):
        return zero_result(solver, problem, resolved)
    return solver.solve(problem, resolved, record_history=record_history, callback=callback)


def recover_tasks(
    Y: ArrayLike,
    dictionaries: Sequence[Any],
    method: str = "svd-krosbl",
    noise_var: float | None = None,
    *,
    settings: SolverSettings | str | None = None,
    **overrides: Any,
) -> Result:
    """Recover ``T`` sparse vectors with one support, each seen through its own dictionary.

    Parameters
    ----------
    Y : array_like, shape (M, T)
        Column ``t`` is task ``t``'s measurements ``y_t = A_t x_t + n_t``.
    dictionaries : sequence of Kron, factor lists or ndarray
        ``A_1 … A_T``, one per column of ``Y``, of one shape (and one factor structure).
    method : str
        An SBL method: ``"sbl"``, ``"pc-sbl"``, ``"am-krosbl"``, ``"svd-krosbl"``,
        ``"pc-krosbl"``, ``"ksbl"``, or ``"dkrosbl"`` (shared factor supports).
    noise_var : float or None
        Known noise variance ``σ² > 0``, shared by the tasks; ``None`` learns it.
    settings : SolverSettings or str, optional
        As :func:`recover`.
    **overrides
        Settings the method reads, as :func:`recover`.

    Returns
    -------
    Result
        ``x`` and ``x_var`` of shape ``(N, T)``, one ``γ`` (or ``γ_i``) for all.

    Raises
    ------
    ValueError
        A method without multi-task support, dictionaries of different shapes, ``Y`` with a
        number of columns other than the number of dictionaries, or the errors of
        :func:`recover`.

    Notes
    -----
    Multi-task SBL ([1]_): the tasks share the prior ``x_t ~ N(0, diag(γ))``; each E-step is
    the task's own posterior, the M-steps see ``Λ = (1/T) Σ_t (d_t + |μ_t|²)``, a learned
    ``σ²`` averages residual and degrees of freedom over the tasks (:mod:`krosbl.tasks`).
    With one dictionary for all, :func:`recover` with ``Y`` of shape ``(M, T)`` is faster.

    References
    ----------
    .. [1] S. Ji, D. Dunson and L. Carin, "Multitask compressive sensing", IEEE Trans. Signal
       Process. 57(1), 2009.

    Examples
    --------
    >>> import numpy as np, krosbl
    >>> rng = np.random.default_rng(0)
    >>> As = [[rng.standard_normal((5, 8)), rng.standard_normal((4, 8))] for _ in range(3)]
    >>> x = np.kron(np.eye(8)[2], np.eye(8)[5])
    >>> Y = np.column_stack([krosbl.Kron(A) @ (x * g) for A, g in zip(As, (1.0, -2.0, 0.5))])
    >>> res = krosbl.recover_tasks(Y, As, "svd-krosbl", noise_var=1e-6)
    >>> res.x.shape, int(np.argmax(np.abs(res.x[:, 1])))
    ((64, 3), 21)
    """
    solver = get_method(method)
    if not solver.tasks:
        takers = sorted(n for n, m in METHODS.items() if m.tasks)
        raise ValueError(f"method {solver.name!r} has no multi-task form; methods: {takers}")
    resolved = resolve_settings(solver, settings, overrides)
    ops = [check_dictionary(A, kronecker=solver.kronecker, operator=False) for A in dictionaries]
    if not ops:
        raise ValueError("dictionaries is empty: give one per column of Y")
    shapes = [(a.in_shape, a.out_shape) if isinstance(a, Kron) else tuple(a.shape) for a in ops]
    for t, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise ValueError(
                f"dictionary {t} has the shape {shape} but dictionary 0 {shapes[0]}: the tasks "
                "need one shape (and factor structure)"
            )
    y = check_measurements(Y, ops[0].shape[0], snapshots=True)
    if y.ndim != 2 or y.shape[1] != len(ops):
        columns = 1 if y.ndim == 1 else y.shape[1]
        raise ValueError(f"Y has {columns} columns but there are {len(ops)} dictionaries")
    problem = Problem(y=y, op=Tasks(ops), noise_var=check_noise_var(noise_var))
    if not np.any(problem.y):
        return zero_result(solver, problem, resolved)
    return solver.solve(problem, resolved)


def memory_estimate(A: Any, method: str = "svd-krosbl") -> int:
    """Bytes one solve is expected to need at its peak.

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
    solver = get_method(method)
    op = check_dictionary(A, kronecker=solver.kronecker, operator=solver.operator, finite=False)
    return solver.memory(op)
