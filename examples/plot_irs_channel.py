"""
Estimate an IRS-MIMO channel
============================

Simulate the paper's uplink scenario (6-antenna mobile station, 256-element IRS, 16-antenna base
station, 18-point angular grid), estimate the cascaded channel with PC-KroSBL, and measure the
channel NMSE. The model is described in :doc:`/irs`.
"""

# %%
# One trial
# ---------
# A :class:`krosbl.irs.Run` draws the pilots and IRS phase patterns once; each trial draws new
# channels. ``trial.observe`` adds noise at a given SNR to the 288 noiseless measurements.

# sphinx_gallery_thumbnail_number = 2
import matplotlib.pyplot as plt
import numpy as np

from krosbl import irs

scenario = irs.Scenario.paper()
run = irs.Run(scenario, seed=7)
trial = run.trial(0)
print(scenario)
print("unknown z:", trial.z.shape, "non-zeros:", len(trial.support))

rng = np.random.default_rng(0)
obs = trial.observe(snr_db=12, rng=rng)
est = irs.estimate(obs, method="pc-krosbl", beta=0.8)
print(
    f"PC-KroSBL at 12 dB: channel NMSE {irs.channel_nmse(est, trial):.2e}, "
    f"{est.result.n_iter} iterations"
)
print(f"symbol error rate: {irs.symbol_error_rate(est, trial, snr_db=12, rng=rng):.2e}")

# %%
# The angular channel
# -------------------
# The unknown ``z`` has axes (IRS angle difference, MS departure, BS arrival). Shown: its
# magnitude on the true MS slice, and the estimate's largest magnitude over the MS axis; the
# true support is circled.
g1, _, g3 = np.unravel_index(trial.support, scenario.unknown_shape)
m = trial.geometry.ms_departure
vmax = np.abs(trial.z).max()
fig, axes = plt.subplots(1, 2, figsize=(9, 4), layout="constrained", sharey=True)
for ax, image, title in (
    (axes[0], np.abs(trial.z[:, m, :]), f"truth |z[:, {m}, :]|"),
    (axes[1], np.abs(est.z).max(axis=1), "PC-KroSBL: max over MS axis of |ẑ|"),
):
    shown = ax.imshow(image.T, origin="lower", vmin=0, vmax=vmax)
    ax.scatter(g1, g3, s=90, facecolors="none", edgecolors="red")
    ax.set(title=title, xlabel="IRS angle difference")
axes[0].set_ylabel("BS arrival")
fig.colorbar(shown, ax=axes, shrink=0.8, label="magnitude")
plt.show()

# %%
# Channel NMSE against SNR
# ------------------------
# The same trial at five SNRs (fresh noise at each, shared by the two estimators), PC-KroSBL
# against SVD-KroSBL. The paper averages 50 trials (``krosbl run irs-snr --paper``,
# :doc:`/paper/irs-snr`).
snrs = [4, 8, 12, 16, 20]
nmse: dict[str, list[float]] = {"pc-krosbl": [], "svd-krosbl": []}
for snr in snrs:
    obs = trial.observe(snr_db=snr, rng=np.random.default_rng(snr))
    for method, values in nmse.items():
        values.append(irs.channel_nmse(irs.estimate(obs, method=method), trial))

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for method, values in nmse.items():
    ax.semilogy(snrs, values, "o-", label=method)
ax.set(xlabel="SNR (dB)", ylabel="channel NMSE", title="one IRS trial")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
plt.show()
