"""krosbl: Bayesian recovery of Kronecker-structured sparse vectors.

Solves ``y = (A_1 ⊗ … ⊗ A_I) x + n`` with AM-KroSBL, SVD-KroSBL, PC-KroSBL and the baselines
of He and Joseph (IEEE TSP 2024), factor by factor, and simulates IRS-MIMO channel
estimation (:mod:`krosbl.irs`).
"""

import importlib
from typing import Any

from . import metrics, presets
from ._version import __version__ as __version__
from .api import memory_estimate, recover, recover_tasks
from .batch_api import recover_batch
from .estimators import (
    KSBL,
    OMP,
    PCSBL,
    SBL,
    AMKroSBL,
    DKroSBL,
    KronOMP,
    NotFittedError,
    OracleLS,
    PCKroSBL,
    SVDKroSBL,
)
from .methods import available_methods
from .operators import Kron
from .result import Result
from .settings import SolverSettings

#: Subpackages imported on first use (``krosbl.irs`` works after ``import krosbl``).
_LAZY_SUBPACKAGES = ("experiments", "irs", "reference")


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_SUBPACKAGES})


__all__ = [
    "KSBL",
    "OMP",
    "PCSBL",
    "SBL",
    "AMKroSBL",
    "DKroSBL",
    "Kron",
    "KronOMP",
    "NotFittedError",
    "OracleLS",
    "PCKroSBL",
    "Result",
    "SVDKroSBL",
    "SolverSettings",
    "available_methods",
    "memory_estimate",
    "metrics",
    "presets",
    "recover",
    "recover_batch",
    "recover_tasks",
]
