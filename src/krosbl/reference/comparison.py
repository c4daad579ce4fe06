"""Compare a krosbl result with a fixture's stored outputs for one solver row."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from krosbl.api import Result

from .calls import _GREEDY, Case
from .checks import _check_nmse, _check_support, _gamma_error, _rel, _settings_mismatches
from .fixtures import Fixture
from .rows import DENSE_HIGH_SNR_DB, DENSE_HIGH_SNR_RTOL, RTOL, Row

__all__ = ["Target", "compare"]


Target = Literal["auto", "sym", "plain"]


def _as_reference(ref: NDArray[Any], ours: NDArray[Any]) -> NDArray[Any]:
    """Drop the tiny imaginary parts of a complex reference of a real problem (README)."""
    ref = np.asarray(ref)
    if np.iscomplexobj(ref) and not np.iscomplexobj(ours):
        return ref.real
    return ref


def _tolerance(fixture: Fixture, case: Case) -> float:
    if case.method == "sbl" and fixture.snr_db >= DENSE_HIGH_SNR_DB:
        return DENSE_HIGH_SNR_RTOL
    return RTOL


def _target_prefix(fixture: Fixture, tag: str, target: Target) -> tuple[str, str]:
    est = "mu_x" if fixture.kind == "irs" else "x"
    has_sym = f"sym_{tag}_{est}" in fixture.arrays
    if target == "auto":
        target = "sym" if has_sym and tag in fixture.sym_tags() else "plain"
    if target == "sym":
        if not has_sym:
            raise KeyError(f"{fixture.name}: no sym_ keys for solver {tag!r}")
        return "sym", f"sym_{tag}_"
    if f"{tag}_{est}" not in fixture.arrays:
        raise KeyError(f"{fixture.name}: no stored estimate {tag}_{est}")
    return "plain", f"{tag}_"


def compare(
    fixture: Fixture,
    case: Case,
    result: Result,
    *,
    target: Target = "auto",
    seconds: float | None = None,
) -> Row:
    """Compare a krosbl result with a fixture's stored outputs for one solver row.

    Parameters
    ----------
    fixture : Fixture
    case : Case
        The row (from :func:`cases`).
    result : Result
        krosbl's output for that row (from :func:`solve`).
    target : {"auto", "sym", "plain"}
        Which reference keys to compare against. ``"auto"`` takes the ``sym_`` keys where the
        fixture has them (the Hermitian-eigensolver arithmetic, departure R1 in
        docs/reproduction.md) and the plain keys otherwise; ``"plain"`` forces the authors'
        published outputs.
    seconds : float, optional
        Solve time to record.

    Returns
    -------
    Row

    Raises
    ------
    KeyError
        If the requested reference keys are not stored.
    """
    kind, prefix = _target_prefix(fixture, case.tag, target)
    a = fixture.arrays
    tol = _tolerance(fixture, case)
    row = Row(fixture.name, case.tag, case.method, kind, tol, seconds=seconds)
    problems: list[str] = []

    est_key = f"{prefix}mu_x" if fixture.kind == "irs" else f"{prefix}x"
    x = np.asarray(result.x)
    row.rel_error = _rel(x, _as_reference(a[est_key], x))
    if not row.rel_error <= tol:
        problems.append(f"estimate differs ({row.rel_error:.2g})")

    if case.method not in _GREEDY and f"{prefix}n_iter" in a:
        row.n_iter_ref, row.n_iter = int(a[f"{prefix}n_iter"]), int(result.n_iter)
        if row.n_iter != row.n_iter_ref:
            problems.append(f"n_iter {row.n_iter} vs {row.n_iter_ref}")

    row.support_equal = _check_support(fixture, case, result, prefix, problems)

    if case.noise_learned and f"{prefix}noise_var" in a:
        ours = math.nan if result.noise_var is None else float(result.noise_var)
        row.noise_rel_error = _rel(np.asarray(ours), np.asarray(float(a[f"{prefix}noise_var"])))
        if not row.noise_rel_error <= tol:
            problems.append(f"noise variance differs ({row.noise_rel_error:.2g})")

    row.gamma_rel_error = _gamma_error(fixture, case, result, prefix)
    if row.gamma_rel_error is not None and not row.gamma_rel_error <= tol:
        problems.append(f"gamma differs ({row.gamma_rel_error:.2g})")

    _check_nmse(fixture, case, result, prefix, row, problems)

    mismatches = _settings_mismatches(fixture, case)
    row.settings_equal = not mismatches
    if mismatches:
        problems.append("settings: " + "; ".join(mismatches))

    row.ok = not problems
    row.reason = None if row.ok else "; ".join(problems)
    return row
