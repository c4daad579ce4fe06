"""What the synthetic trials share: problem-size settings and one solve turned into a row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from krosbl import metrics, recover
from krosbl.methods import get_method

from ..config import ExperimentSettings
from ..definitions import Algorithm, Row

__all__ = ["ProblemSettings", "solve"]


class ProblemSettings(ExperimentSettings):
    """Sizes of a synthetic problem: ``N_i`` and ``M_i`` of the three factors."""

    n: list[int] = Field(default=[15, 15, 15], min_length=3, max_length=3)
    m: list[int] = Field(default=[8, 12, 15], min_length=3, max_length=3)

    @model_validator(mode="after")
    def _positive_sizes(self) -> ProblemSettings:
        for key in ("n", "m"):
            if min(getattr(self, key)) < 1:
                raise ValueError(f"key {key!r}: sizes must be positive, got {getattr(self, key)}")
        return self


def check_m1_sweep(settings: Any) -> None:
    """Check an ``M_1`` sweep: ``K ≤ min N_i``, ``1 ≤ M_1 ≤ m[0]`` (ValueError naming the key)."""
    if settings.k > min(settings.n):
        raise ValueError(f"key 'k': must be at most min(n) = {min(settings.n)}, got {settings.k}")
    bad = [v for v in settings.values if not 1 <= v <= settings.m[0]]
    if bad:
        raise ValueError(f"key 'values': M_1 must be in 1..m[0] = {settings.m[0]}, got {bad}")


def solve(
    algorithm: Algorithm,
    value: float,
    y: NDArray[np.float64],
    matrices: Sequence[NDArray[np.float64]],
    x: NDArray[np.float64],
    support: NDArray[np.intp],
    noise_var: float | None,
    *,
    record_history: bool = False,
    callback: Callable[[int, Any, Any], None] | None = None,
) -> tuple[Row, Any]:
    """Run one algorithm with exactly its preset at ``value`` and score it against the truth.

    ``y, matrices`` are the measurements and factors, ``x, support`` the true vector and its
    flat support (given to a method that takes it, the oracle LS), ``noise_var`` the known
    ``σ²`` (``None``: learned); ``record_history`` and ``callback`` are passed to
    :func:`krosbl.recover`.

    Returns
    -------
    row : dict
        ``algorithm``, ``value``, ``nmse``, ``srr``, ``time_s``, ``n_iter``, ``converged``,
        ``noise_var``, and the energies ``err_sq = ‖x̂ − x‖²`` and ``ref_sq = ‖x‖²`` of the
        pooled NMSE.
    result : krosbl.Result
        The solver's output.
    """
    oracle = get_method(algorithm.method).takes_support
    result = recover(
        y,
        list(matrices),
        algorithm.method,
        noise_var,
        settings=algorithm.settings(value),
        support=support if oracle else None,
        record_history=record_history,
        callback=callback,
    )
    row: Row = {
        "algorithm": algorithm.name,
        "value": float(value),
        "nmse": metrics.nmse(result.x, x),
        # a method given the true support keeps it by construction (SRR := 1) and does not
        # iterate
        "srr": 1.0 if oracle else metrics.support_recovery_rate(result.x, x),
        "time_s": result.time_s,
        "n_iter": float("nan") if oracle else result.n_iter,
        "converged": None if oracle else bool(result.converged),
        "noise_var": float("nan") if result.noise_var is None else result.noise_var,
    }
    row["err_sq"], row["ref_sq"] = metrics.error_energy(result.x, x)
    return row, result
