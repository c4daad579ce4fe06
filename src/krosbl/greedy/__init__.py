"""Greedy and oracle baselines: OMP, Kronecker OMP and oracle least squares.

The paper's baselines (docs/theory.md, "Greedy and oracle baselines").

All three return a :class:`GreedyFit`.  Indices are 0-based flat indices into ``x`` in
``numpy.kron`` order (the first factor varies slowest): for factors of sizes ``(N_1, …, N_I)``
the entry ``(i_1, …, i_I)`` has flat index
``np.ravel_multi_index((i_1, …, i_I), (N_1, …, N_I))``.
Real and complex problems share one code path; the estimate's dtype is
``numpy.result_type`` of the inputs (at least float64).
"""

from __future__ import annotations

from .kronecker import kron_omp
from .matching_pursuit import GreedyFit, omp, oracle_ls

__all__ = ["GreedyFit", "kron_omp", "omp", "oracle_ls"]
