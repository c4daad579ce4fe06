"""SBL methods with an unstructured prior: classic SBL and pattern-coupled SBL."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..operators import Kron
from ..priors import FlatPrior
from ..settings import SolverSettings
from ..updates import ClassicUpdate, PCSBLUpdate
from .base import EM_DEFAULTS, EMMethod

__all__ = ["PCSBLMethod", "SBLMethod"]


class SBLMethod(EMMethod):
    """Classic SBL (Tipping 2001), the paper's cSBL baseline: from ``γ = 1``, the M-step is
    ``γ ← d + |μ|²`` (``μ``, ``d``: the E-step's posterior mean and marginal variances)."""

    name = "sbl"
    summary = "classic SBL (EM) with an unstructured prior"

    def build(self, op: Any, settings: SolverSettings) -> tuple[FlatPrior, ClassicUpdate]:
        """A flat prior ``γ = 1`` and the classic M-step."""
        return FlatPrior(np.ones(op.shape[1])), ClassicUpdate()


class PCSBLMethod(EMMethod):
    """Pattern-coupled SBL (Fang et al. 2015), as the paper's authors modified it.

    Prunes nothing by default (its M-step drives unused variances to ``10⁻¹⁰``). ``details``
    holds the final precisions ``alpha`` and the final E-step's prior variances
    ``prior_var``; ``gamma`` is ``1/alpha``, as the authors' code returns.
    """

    name = "pc-sbl"
    summary = "pattern-coupled SBL (Fang et al. 2015) on the flat index"
    defaults = MappingProxyType(
        {
            **EM_DEFAULTS,
            "prune_ratio": None,
            "pc_a": 0.5,
            "pc_b": 1e-4,
            "pc_eta": 0.9,
            "pc_neighbours": "flat",
        }
    )

    def build(self, op: Any, settings: SolverSettings) -> tuple[FlatPrior, PCSBLUpdate]:
        """A flat prior ``D = 1`` and the pattern-coupled M-step."""
        shape = None
        if settings.pc_neighbours == "axes":
            if not isinstance(op, Kron):
                raise ValueError("pc_neighbours='axes' needs a Kron: the axes are its factors'")
            shape = op.in_shape
        rule = PCSBLUpdate(a=settings.pc_a, b=settings.pc_b, eta=settings.pc_eta, shape=shape)
        return FlatPrior(np.ones(op.shape[1])), rule

    def details(self, rule: PCSBLUpdate, power: float) -> dict[str, Any]:
        """``alpha``: the final precisions ``α``; ``prior_var``: the prior variances ``1/D``
        of the final E-step (``D_j = α_j + η(α_{j−1} + α_{j+1})``)."""
        assert rule.alpha is not None
        prior_var = power / rule.neighbours(rule.alpha)
        return {"alpha": rule.alpha / power, "prior_var": prior_var}

    def prior_variances(self, prior: Any, rule: PCSBLUpdate) -> NDArray:
        """``1/α``, as the authors' code returns."""
        assert rule.alpha is not None
        return 1.0 / rule.alpha
