"""Several tasks ``y_t = A_t x_t + n_t`` with their own dictionaries and one shared prior:
multi-task SBL (Ji, Dunson & Carin, IEEE TSP 57(1), 2009; model in :func:`krosbl.recover_tasks`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .operators import Kron
from .posterior import Posterior

__all__ = ["Tasks"]


class Tasks:
    """The checked dictionaries ``ops`` of ``T`` tasks, one per column of the measurements,
    of one shape ``(M, N)`` (and, for ``Kron``, one factor structure)."""

    def __init__(self, ops: Sequence[Any]) -> None:
        self.ops = list(ops)
        self.shape: tuple[int, int] = tuple(self.ops[0].shape)
        self.dtype = np.result_type(*(op.dtype for op in self.ops))

    def __len__(self) -> int:
        return len(self.ops)

    @property
    def template(self) -> Any:
        """The first dictionary, whose structure every task shares (for building a prior)."""
        return self.ops[0]

    @property
    def n_factors(self) -> int:
        """Number of Kronecker factors of each dictionary (1 for a dense one)."""
        return self.template.n_factors if isinstance(self.template, Kron) else 1

    def posterior(self, y: NDArray, one: Callable[[NDArray, Any], Posterior]) -> Posterior:
        """The E-step of every task, ``one(y[:, t], A_t)``, as one :class:`Posterior`.

        Returns
        -------
        Posterior
            ``mean`` and ``var`` of shape ``(K, T)``, one column per task; ``cost``,
            ``residual_sq`` and ``dof`` averaged over the tasks.
        """
        parts = [one(y[:, t], op) for t, op in enumerate(self.ops)]
        return Posterior(
            mean=np.column_stack([p.mean for p in parts]),
            var=np.column_stack([p.var for p in parts]),
            cost=float(np.mean([p.cost for p in parts])),
            residual_sq=float(np.mean([p.residual_sq for p in parts])),
            dof=float(np.mean([p.dof for p in parts])),
        )
