"""The result record shared by the greedy and oracle solvers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["GreedyFit"]


@dataclass(frozen=True, eq=False)
class GreedyFit:
    """Result of a greedy or oracle solver.

    Attributes
    ----------
    x : ndarray, shape (N,)
        Full-length estimate; zero outside ``support``.  Read-only.
    support : ndarray of int64
        Sorted flat indices of the selected columns (the entries the least-squares fit was
        allowed to make nonzero).  For Kronecker OMP this is the whole grid
        ``S_1 × … × S_I``.  Read-only.
    n_iter : int
        OMP: atoms selected (one per iteration).  Kronecker OMP: iterations run, including
        the last one (which may have added nothing).  Oracle LS: 1 (a single solve).
    time_s : float
        Wall-clock seconds of the solve (``time.perf_counter``).  Kronecker OMP and OMP are
        timed whole; oracle LS reports 0.0, as the paper's timing convention does.
    residual_norm : float
        ``‖y − A x‖₂`` of the returned estimate.
    factor_support : tuple of ndarray of int64, or None
        Kronecker OMP only: the per-factor selections ``S_1, …, S_I`` in selection order.
        ``None`` for OMP and oracle LS.
    """

    x: NDArray[Any]
    support: NDArray[np.int64]
    n_iter: int
    time_s: float
    residual_norm: float
    factor_support: tuple[NDArray[np.int64], ...] | None = None

    def __post_init__(self) -> None:
        for arr in (self.x, self.support, *(self.factor_support or ())):
            arr.setflags(write=False)
