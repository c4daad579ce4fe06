"""Cell search against Gauss-Newton in krosbl.linespectral.refine_angles (measured).

Random off-grid problems ``y = Σ_p a_N(θ_p) g_p + n`` with ULA atoms ``a_N(θ) = e^{jπkθ}/√N``:
``P`` paths at most half a grid cell (grid of ``G = 18``) from distinct grid points two cells
apart or more, started on those grid points. For each refinement (cell search only,
Gauss-Newton only, both) prints the median and the 95th percentile of the largest angle error,
the share of problems with an angle error above a tenth of the beamwidth ``2/N`` (missed) and the
mean time per call. Markdown table.

Usage: ``python docs/scripts/linespectral_refinement.py [PROBLEMS]`` (default 200).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from krosbl.linespectral import refine_angles

GRID = 18
STEP = 2 / GRID
VARIANTS = {
    "cell search": {"width": True, "derivative": False},
    "Gauss-Newton": {"width": False, "derivative": True},
    "cell + Newton": {"width": True, "derivative": True},
}


def ula(n: int):
    k = np.arange(n)

    def atoms(theta):
        return np.exp(1j * np.pi * np.outer(k, theta)) / np.sqrt(n)

    def derivative(theta):
        return 1j * np.pi * k[:, None] * atoms(theta)

    return atoms, derivative


def main(n_problems: int) -> None:
    print("| N | P | SNR | refinement | median err | 95 % err | missed | ms/call |")
    print("|---|---|---|---|---|---|---|---|")
    for n in (16, 256):
        atoms, derivative = ula(n)
        for n_paths in (1, 3):
            for snr in (np.inf, 20.0):
                rng = np.random.default_rng(0)
                problems = []
                for _ in range(n_problems):
                    cells = rng.choice(np.arange(0, GRID, 2), size=n_paths, replace=False)
                    start = -1 + STEP * cells + STEP / 2
                    theta = start + 0.5 * STEP * rng.uniform(-1, 1, n_paths)
                    gains = np.exp(2j * np.pi * rng.random(n_paths))
                    y = atoms(theta) @ gains
                    if np.isfinite(snr):
                        sigma = np.sqrt(np.mean(np.abs(y) ** 2) / 10 ** (snr / 10) / 2)
                        y = y + sigma * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
                    problems.append((y, start, theta))
                for name, use in VARIANTS.items():
                    errors, t0 = [], time.perf_counter()
                    for y, start, theta in problems:
                        fit = refine_angles(
                            y,
                            atoms,
                            start,
                            width=STEP if use["width"] else None,
                            derivative=derivative if use["derivative"] else None,
                        )
                        errors.append(np.max(np.abs(fit.angles - theta)))
                    ms = 1e3 * (time.perf_counter() - t0) / n_problems
                    err = np.array(errors)
                    missed = np.mean(err > 0.1 * 2 / n)
                    print(
                        f"| {n} | {n_paths} | {snr:g} dB | {name} | {np.median(err):.1e} "
                        f"| {np.quantile(err, 0.95):.1e} | {missed:.0%} | {ms:.2f} |"
                    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
