"""krosbl: Bayesian recovery of Kronecker-structured sparse vectors.

Solves ``y = (A_1 ⊗ … ⊗ A_I) x + n`` with AM-KroSBL, SVD-KroSBL, PC-KroSBL and the baselines
of He and Joseph (IEEE TSP 2024), factor by factor, and simulates IRS-MIMO channel
estimation (:mod:`krosbl.irs`).
"""

from . import metrics, presets
from .api import Result, memory_estimate, recover
from .estimators import KSBL, OMP, PCSBL, SBL, AMKroSBL, KronOMP, OracleLS, PCKroSBL, SVDKroSBL
from .methods import methods
from .operators import Kron
from .settings import SolverSettings

__version__ = "0.1.0"

__all__ = [
    "KSBL",
    "OMP",
    "PCSBL",
    "SBL",
    "AMKroSBL",
    "Kron",
    "KronOMP",
    "OracleLS",
    "PCKroSBL",
    "Result",
    "SVDKroSBL",
    "SolverSettings",
    "memory_estimate",
    "methods",
    "metrics",
    "presets",
    "recover",
]
