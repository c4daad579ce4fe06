"""
Compare the methods on one problem
==================================

Run every method of :func:`krosbl.available_methods` on the same small synthetic problem (real,
three factors, two non-zeros per factor, 25 dB: the problem of the quick-start example) and
compare their NMSE, support recovery and run time.
One problem is one draw: the paper's sweeps (:doc:`/paper/index`) average over hundreds.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import krosbl
from krosbl.operators import kron_vector

rng = np.random.default_rng(0)
N, M = (8, 8, 8), (6, 6, 7)
A = [rng.standard_normal((m, n)) for m, n in zip(M, N, strict=True)]
factors = []
for n in N:
    v = np.zeros(n)
    v[rng.choice(n, size=2, replace=False)] = rng.standard_normal(2)
    factors.append(v)
x = kron_vector(factors)
y0 = krosbl.Kron(A) @ x
noise_var = np.mean(y0**2) / 10 ** (25 / 10)
y = y0 + rng.normal(scale=np.sqrt(noise_var), size=y0.shape)

# %%
# Run them all
# ------------
# Every method takes the same call. Two need an extra argument here: oracle least squares is
# given the true support, and Kronecker OMP's preset (10 atoms per factor, for the paper's
# 15-column factors) is reduced to 4 atoms for these 8-column factors. The pattern-coupled
# methods assume block-sparse factors (the IRS model); this ``x`` is not block sparse.
extra = {"oracle-ls": {"support": np.flatnonzero(x)}, "kron-omp": {"sparsity": 4}}
rows = []
for method, description in krosbl.available_methods().items():
    res = krosbl.recover(y, A, method, noise_var=noise_var, **extra.get(method, {}))
    rows.append(
        (
            method,
            krosbl.metrics.nmse(res.x, x),
            krosbl.metrics.support_recovery_rate(res.x, x),
            res.time_s,
            res.n_iter,
        )
    )
    print(
        f"{method:11s} NMSE {rows[-1][1]:9.2e}  SRR {rows[-1][2]:4.2f}  "
        f"time {rows[-1][3]:7.4f} s  iterations {res.n_iter:4d}   ({description})"
    )

# %%
# Plot
# ----
# Oracle LS knows the support: its error is the floor that the noise allows. Times are the
# solvers' own (:ref:`theory-timing`: iterations only; oracle LS reports 0) and only comparable
# within one run.
names = [r[0] for r in rows]
pos = np.arange(len(rows))
fig, axes = plt.subplots(1, 3, figsize=(11, 4), layout="constrained", sharey=True)
for ax, col, label, log in (
    (axes[0], 1, "NMSE", True),
    (axes[1], 2, "support recovery rate", False),
    (axes[2], 3, "solver time (s)", True),
):
    values = np.array([r[col] for r in rows], dtype=float)
    if log:
        values = np.maximum(values, 1e-6)
        ax.set_xscale("log")
    ax.barh(pos, values, color=[f"C{i}" for i in range(len(rows))])
    ax.set(xlabel=label)
axes[0].set_yticks(pos, names)
axes[0].invert_yaxis()
fig.suptitle("one synthetic problem: 512 unknowns, 252 measurements, 25 dB")
plt.show()
