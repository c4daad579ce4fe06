"""Several snapshots sharing one support (M-SBL): what a solve costs against the number ``T``.

Two measurements, each a median over several draws, every solver in this one process:

1. SVD-KroSBL with the paper's IRS settings on trials 0–4 of the paper's IRS scenario at 4 dB,
   ``T`` noisy observations of each trial's channel as the snapshots, ``T = 1, 2, 4, 8``: the
   wall time of ``krosbl.recover`` and its ratio to ``T = 1``.
2. Classic SBL on a synthetic two-factor problem with ``T = 8`` snapshots: krosbl's
   ``recover(Y, Kron(A_1, A_2), "sbl")`` against a plain dense M-SBL (Wipf & Rao 2007) written
   here, both for a fixed number of iterations without pruning: the largest relative
   difference of the estimates and the speed ratio.

Usage::

    OMP_NUM_THREADS=1 PYTHONPATH=. python docs/scripts/measure_mmv.py   # from the checkout
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import krosbl
from benchmarks.problems import IRSSpec

DRAWS = 5


def _timed(solve) -> tuple[float, object]:
    start = time.perf_counter()
    out = solve()
    return time.perf_counter() - start, out


def irs_cost_against_snapshots(counts=(1, 2, 4, 8)) -> None:
    print("SVD-KroSBL, IRS scenario at 4 dB, median wall time over trials 0-4")
    medians = {}
    for t in counts:
        times = []
        for trial in range(DRAWS):
            problem = IRSSpec("irs", 4.0, seed=0, trial=trial, draws=t).build()
            Y = np.atleast_2d(problem.y).T  # (M, T): the observations as snapshots
            settings = problem.settings_for("svd-krosbl")
            spent, _ = _timed(
                lambda Y=Y, p=problem, s=settings: krosbl.recover(
                    Y, list(p.factors), "svd-krosbl", p.noise_var, settings=s
                )
            )
            times.append(spent)
        medians[t] = statistics.median(times)
        print(f"  T = {t}: {medians[t] * 1e3:7.1f} ms  ({medians[t] / medians[1]:.2f}× T = 1)")


def _dense_msbl(Y: np.ndarray, A: np.ndarray, sigma2: float, iterations: int) -> np.ndarray:
    """Plain dense M-SBL with a known σ²: ``Σ_y``, its inverse, ``M``, ``d``, ``γ``."""
    gamma = np.ones(A.shape[1])
    for _ in range(iterations + 1):
        inverse = np.linalg.inv(sigma2 * np.eye(A.shape[0]) + (A * gamma) @ A.T)
        mean = gamma[:, None] * (A.T @ inverse @ Y)
        var = gamma - gamma**2 * np.einsum("mn,mk,kn->n", A, inverse, A)
        gamma = var + np.mean(mean**2, axis=1)
    return mean


def dense_msbl_beside_krosbl(t: int = 8, iterations: int = 50) -> None:
    print(f"classic SBL, T = {t} snapshots, {iterations} iterations, no pruning")
    rng = np.random.default_rng(0)
    factors = [rng.standard_normal((8, 12)), rng.standard_normal((9, 14))]
    A = np.kron(*factors)
    ratios, gaps = [], []
    for _ in range(DRAWS):
        X = np.zeros((A.shape[1], t))
        X[rng.choice(A.shape[1], 6, replace=False)] = rng.standard_normal((6, t))
        Y = A @ X + 0.05 * rng.standard_normal((A.shape[0], t))
        dense_time, dense = _timed(lambda Y=Y: _dense_msbl(Y, A, 2.5e-3, iterations))
        ours_time, ours = _timed(
            lambda Y=Y: krosbl.recover(
                Y, krosbl.Kron(factors), "sbl", 2.5e-3,
                prune_ratio=None, tol=0.0, max_iter=iterations, normalize=False,
            )
        )  # fmt: skip
        gaps.append(np.abs(ours.x - dense).max() / np.abs(dense).max())
        ratios.append(dense_time / ours_time)
    print(f"  M = {A.shape[0]}, N = {A.shape[1]}: largest relative difference {max(gaps):.1e}")
    print(f"  dense / krosbl time: median {statistics.median(ratios):.1f}× over {DRAWS} draws")


if __name__ == "__main__":
    irs_cost_against_snapshots()
    dense_msbl_beside_krosbl()
