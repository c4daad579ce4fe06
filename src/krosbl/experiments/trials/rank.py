"""The paper's rank study: ranks of ``Λ`` per EM iteration in the noiseless limit.

One realisation (``M_1 = 14``, ``K = 4``), noiseless measurements ``y = y_0`` and the
noiseless-limit posterior (``σ² → 0``, docs/theory.md, "Noiseless limit"; the ``"rank"``
presets set ``noiseless=True``, so the solvers get ``noise_var=None``).  AM-KroSBL,
SVD-KroSBL and classic SBL run 150 iterations without pruning.  After every E-step a
:func:`krosbl.recover` callback records

- ``rank(Λ.reshape(N_1, N_2 N_3))`` (``rank_lambda_path``), and
- the rank of SVD-KroSBL's second-stage matrix: with ``U S Vᴴ`` the SVD of that reshape,
  ``r = s_1 |v_1|`` reshaped ``(N_2, N_3)`` (``rank_stage2_path``; docs/theory.md,
  "SVD-KroSBL"),

both with :func:`numpy.linalg.matrix_rank`'s default tolerance (= MATLAB ``rank``), and their
maximum (``rank_path``, what the figure plots).  The sweep axis is ``M_1`` (default only 14),
``A_1`` the first ``M_1`` rows of one ``m[0]``-row draw; for the same seed the problem is
that of the convergence experiment (Fig. 2), without noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from krosbl import metrics

from .. import synthetic_data as sd
from ..definitions import Row, TrialContext
from .common import ProblemSettings, check_m1_sweep, solve

__all__ = ["RankRecorder", "RankSettings", "rank_trial", "stage_ranks"]


class RankSettings(ProblemSettings):
    """The rank study: ``M_1 = 14`` (``values``), ``K = 4``, noiseless; ``m[0]`` rows are drawn."""

    m: list[int] = Field(default=[14, 12, 15], min_length=3, max_length=3)
    k: int = Field(default=4, ge=1)
    values: list[int] = Field(default=[14], min_length=1)

    @model_validator(mode="after")
    def _check(self) -> RankSettings:
        check_m1_sweep(self)
        return self


def stage_ranks(second_moment: NDArray[np.float64], sizes: Sequence[int]) -> tuple[int, int]:
    """Ranks of ``Λ`` reshaped ``(N_1, N_2 N_3)`` and of the second-stage SVD matrix.

    Parameters
    ----------
    second_moment : ndarray
        ``Λ = d + |μ|²`` on the full index set (``numpy.kron`` order), length ``N_1 N_2 N_3``.
    sizes : sequence of int
        ``(N_1, N_2, N_3)``.

    Returns
    -------
    rank_lambda : int
        ``matrix_rank(Λ.reshape(N_1, N_2 N_3))``.
    rank_stage2 : int
        ``matrix_rank((s_1 |v_1|).reshape(N_2, N_3))``, ``s_1, v_1`` the leading singular
        value and right singular vector of that reshape (SVD-KroSBL's second stage).

    Examples
    --------
    >>> lam = np.kron(np.ones(2), np.kron([1.0, 2.0], [3.0, 1.0]))
    >>> stage_ranks(lam, (2, 2, 2))
    (1, 1)
    """
    n1, n2, n3 = sizes
    matrix = np.asarray(second_moment, dtype=float).reshape(n1, n2 * n3)
    _, s, vh = np.linalg.svd(matrix, full_matrices=False)
    stage2 = (s[0] * np.abs(vh[0])).reshape(n2, n3)
    return int(np.linalg.matrix_rank(matrix)), int(np.linalg.matrix_rank(stage2))


class RankRecorder:
    """A :func:`krosbl.recover` callback recording :func:`stage_ranks` after every E-step.

    Parameters
    ----------
    sizes : sequence of int
        ``(N_1, N_2, N_3)``.

    Attributes
    ----------
    rank_lambda, rank_stage2 : list of int
        Per iteration, the two ranks.
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes = tuple(sizes)
        self.rank_lambda: list[int] = []
        self.rank_stage2: list[int] = []

    def __call__(self, t: int, prior: Any, posterior: Any) -> None:
        """Record the ranks of iteration ``t`` (``Λ`` embedded on the full index set)."""
        full = prior.embed(np.asarray(posterior.second_moment, dtype=float))
        first, second = stage_ranks(full, self.sizes)
        self.rank_lambda.append(first)
        self.rank_stage2.append(second)

    def row(self) -> Row:
        """The list columns ``rank_lambda_path``, ``rank_stage2_path``, ``rank_path`` (their
        maximum) and ``rank``, the last ``rank_path`` entry (NaN if nothing was recorded)."""
        larger = [max(a, b) for a, b in zip(self.rank_lambda, self.rank_stage2, strict=True)]
        return {
            "rank_lambda_path": list(self.rank_lambda),
            "rank_stage2_path": list(self.rank_stage2),
            "rank_path": larger,
            "rank": float(larger[-1]) if larger else float("nan"),
        }


def rank_trial(ctx: TrialContext) -> list[Row]:
    """One noiseless realisation; per ``M_1`` and method, the ranks at every iteration."""
    s = ctx.settings
    assert isinstance(s, RankSettings)
    (data,) = ctx.generators(1)
    full = sd.draw_matrices(data, s.m, s.n)
    x = sd.draw_kron_sparse(data, s.n, s.k)
    truth, support = x.vector(), x.support()
    rows: list[Row] = []
    for m1 in s.values:
        matrices = [full[0][:m1], *full[1:]]
        y0 = x.measure(matrices)
        for algorithm in ctx.algorithms:
            recorder = RankRecorder(s.n)
            row, result = solve(
                algorithm,
                m1,
                y0,
                matrices,
                truth,
                support,
                None,  # the "rank" presets are noiseless (σ² → 0)
                record_history=True,
                callback=recorder,
            )
            nmse_path = [metrics.nmse(mu, truth) for mu in result.mean_history]
            rows.append({**row, **recorder.row(), "nmse_path": nmse_path})
    return rows
