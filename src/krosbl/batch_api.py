"""The batched entry point: ``krosbl.recover_batch(Y, A, method, ...) -> list[Result]``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .api import check_problem, resolve_settings, zero_result
from .methods import Method, get_method
from .operators import Kron
from .result import Result
from .settings import SolverSettings
from .validation import Problem

__all__ = ["recover_batch"]


def _per_problem(A: Any) -> bool:
    """Whether ``A`` is one dictionary per problem: a sequence of ``Kron`` or of factor lists."""
    if isinstance(A, (Kron, np.ndarray)) or not isinstance(A, Sequence) or not A:
        return False
    first = A[0]
    return isinstance(first, Kron) or (isinstance(first, Sequence) and np.ndim(first[0]) == 2)


def _noise_vars(noise_var: Any, batch: int) -> list[Any]:
    if noise_var is None or np.ndim(noise_var) == 0:
        return [noise_var] * batch
    values = list(noise_var)
    if len(values) != batch:
        raise ValueError(f"noise_var has {len(values)} entries for {batch} problems")
    return values


def _problems(method: Method, Y: ArrayLike, A: Any, noise_var: Any) -> list[Problem]:
    try:
        rows = np.asarray(Y)
    except ValueError:
        raise ValueError("Y must be a 2-D array: its rows have different lengths") from None
    if rows.ndim != 2 or rows.shape[0] == 0:
        raise ValueError(f"Y must be a 2-D array with one problem per row, got shape {rows.shape}")
    batch = rows.shape[0]
    if _per_problem(A):
        if len(A) != batch:
            raise ValueError(f"A has {len(A)} dictionaries for {batch} problems (rows of Y)")
        dictionaries = list(A)
    else:
        dictionaries = [A] * batch
    problems = []
    for b, (y, a, nv) in enumerate(zip(rows, dictionaries, _noise_vars(noise_var, batch))):
        try:
            problems.append(check_problem(method, y, a, nv))
        except (TypeError, ValueError) as err:
            raise type(err)(f"problem {b}: {err}") from None
    shapes = {(p.op.in_shape, p.op.out_shape) for p in problems if isinstance(p.op, Kron)}
    if len(shapes) > 1:
        raise ValueError(f"the problems' dictionaries differ in shape: {sorted(shapes)}")
    return problems


def recover_batch(
    Y: ArrayLike,
    A: Any,
    method: str = "svd-krosbl",
    noise_var: float | Sequence[float] | None = None,
    *,
    settings: SolverSettings | str | None = None,
    **overrides: Any,
) -> list[Result]:
    """Recover one sparse vector per row of ``Y``, all with the same method and settings.

    Parameters
    ----------
    Y : array_like, shape (B, M)
        Measurements, one problem per row, real or complex.
    A : Kron, list of array_like, or sequence of them
        One dictionary shared by every problem (as :func:`krosbl.recover`), or ``B``
        dictionaries (``Kron`` objects or factor lists) of equal shapes, one per problem.
    method : str
        One of :func:`krosbl.available_methods`.
    noise_var : float, sequence of float, or None
        Known ``σ² > 0`` shared by every problem, one per problem, or ``None`` to learn each.
    settings : SolverSettings or str, optional
        As :func:`krosbl.recover`, shared by every problem.
    **overrides
        Settings the method reads, as :func:`krosbl.recover`.

    Returns
    -------
    list of Result
        ``results[b]`` for row ``b``: the :func:`krosbl.recover` result of that problem alone
        (equal to rounding), except ``time_s``, the problem's share of the batch's time.

    Raises
    ------
    ValueError, TypeError
        As :func:`krosbl.recover`, with the problem's row named; ``Y`` not 2-D; ``A`` or
        ``noise_var`` with a number of entries other than ``B``; dictionaries of different
        shapes.
    FloatingPointError
        As :func:`krosbl.recover`, naming the problem.

    Notes
    -----
    AM-KroSBL, SVD-KroSBL, KSBL and PC-KroSBL (not noiseless) step every problem in one set
    of batched array calls per EM iteration (``Method.solve_batch``); each problem prunes and
    stops on its own. dKroSBL steps each factor's SBLs of all problems together. The other
    methods solve the problems one by one. A batch pays when its problems are many and prune
    alike (docs/performance.md).

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
    >>> X = np.zeros((3, 144))
    >>> X[[0, 1, 2], [43, 5, 100]] = 2.0
    >>> Y = X @ np.kron(A1, A2).T
    >>> results = krosbl.recover_batch(Y, [A1, A2], "svd-krosbl", noise_var=1e-6)
    >>> [int(np.argmax(np.abs(r.x))) for r in results]
    [43, 5, 100]
    """
    solver = get_method(method)
    resolved = resolve_settings(solver, settings, overrides)
    problems = _problems(solver, Y, A, noise_var)
    results: list[Result | None] = [None] * len(problems)
    zero = [b for b, p in enumerate(problems) if not np.any(p.y)]
    for b in zero:
        results[b] = zero_result(solver, problems[b], resolved)
    rest = [b for b in range(len(problems)) if b not in set(zero)]
    groups = [
        [b for b in rest if (problems[b].noise_var is None) == learned] for learned in (True, False)
    ]
    for group in filter(None, groups):
        together = solver.solve_batch(
            [problems[b] for b in group], resolved, shared=not _per_problem(A)
        )
        if together is None:
            together = [solver.solve(problems[b], resolved) for b in group]
        for b, result in zip(group, together):
            results[b] = result
    return [r for r in results if r is not None]
