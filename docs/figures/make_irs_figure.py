"""Draw docs/figures/irs_support.png: the true angular channel of one IRS trial and an estimate.

Run from anywhere: ``python docs/figures/make_irs_figure.py`` (needs matplotlib).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from krosbl import irs

OUT = Path(__file__).with_name("irs_support.png")
SEED, TRIAL, SNR_DB, METHOD = 7, 0, 12.0, "pc-krosbl"


def main() -> None:
    """Simulate one paper trial, estimate it with PC-KroSBL and save the figure."""
    trial = irs.Run(irs.Scenario.paper(), seed=SEED).trial(TRIAL)
    obs = trial.observe(SNR_DB, rng=np.random.default_rng(SEED))
    est = irs.estimate(obs, METHOD)
    nmse = irs.channel_nmse(est, trial)
    m = trial.geometry.ms_departure
    g1, _, g3 = np.unravel_index(trial.support, trial.scenario.unknown_shape)

    fig = plt.figure(figsize=(13, 4.2), layout="constrained")
    grid = fig.add_gridspec(3, 3, width_ratios=(1, 1, 1.1))
    images = [fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[:, 1])]
    panels = [
        (np.abs(trial.z[:, m, :]), f"truth |z[:, m={m}, :]|"),
        (np.abs(est.z).max(axis=1), f"{METHOD}: max over the MS axis of |ẑ|"),
    ]
    vmax = np.abs(trial.z).max()
    for ax, (image, title) in zip(images, panels, strict=True):
        shown = ax.imshow(image.T, origin="lower", cmap="viridis", vmin=0, vmax=vmax)
        ax.scatter(g1, g3, s=90, facecolors="none", edgecolors="red", linewidths=1.2)
        ax.set(title=title, xlabel="IRS angle difference g1", ylabel="BS arrival g3")
    fig.colorbar(shown, ax=images, shrink=0.85, label="magnitude")
    assert est.result.gammas is not None
    names = ("γ1 (IRS difference)", "γ2 (MS)", "γ3 (BS)")
    bars = [fig.add_subplot(grid[axis, 2]) for axis in range(3)]
    for axis, (ax, gamma, name) in enumerate(zip(bars, est.result.gammas, names, strict=True)):
        true = np.unique(np.unravel_index(trial.support, trial.scenario.unknown_shape)[axis])
        colors = ["red" if g in true else "gray" for g in range(len(gamma))]
        ax.bar(np.arange(len(gamma)), gamma / gamma.max(), color=colors)
        ax.set_ylabel(name, fontsize=8)
        ax.set_xticks(range(0, len(gamma), 3))
    bars[0].set_title("factor hyperparameters γ_i / max γ_i")
    bars[-1].set_xlabel("grid index (red: true support of that factor)")
    fig.suptitle(
        f"IRS-MIMO, paper scenario, seed {SEED}, trial {TRIAL}, {SNR_DB:g} dB: "
        f"channel NMSE {nmse:.3g} (red circles: true support)"
    )
    fig.savefig(OUT, dpi=120)
    print(f"wrote {OUT} (NMSE {nmse:.4g})")


if __name__ == "__main__":
    main()
