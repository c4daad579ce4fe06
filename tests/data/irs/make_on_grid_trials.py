"""Store the ρ = 0 reference arrays of ``tests/test_irs_offgrid.py``.

Run once, at commit 5cd1e38, before the off-grid scenario existed; do not regenerate (the test
checks that today's code still draws these trials). Run as a script, never on import: the test
collection imports every module under tests/.
"""

import numpy as np

from krosbl import irs


def main() -> None:
    out = {}
    # Paper scenario, seed 7, trials 0..2: y0, H, geometry, and an observation at 12 dB.
    run = irs.Run(irs.Scenario.paper(), seed=7)
    for i in range(3):
        t = run.trial(i)
        g = t.geometry
        out[f"paper_{i}_y0"] = np.asarray(t.y0)
        out[f"paper_{i}_H"] = np.asarray(t.H)
        out[f"paper_{i}_indices"] = np.array(
            [g.ms_departure, g.irs_arrival, g.irs_departure, g.bs_arrival]
        )
        out[f"paper_{i}_irs_gains"] = np.asarray(g.irs_gains)
        out[f"paper_{i}_bs_gains"] = np.asarray(g.bs_gains)
        out[f"paper_{i}_y12"] = np.asarray(t.observe(12.0, rng=np.random.default_rng(100 + i)).y)
    # A small scenario with per-trial training: H1, H2, patterns, pilots too.
    small = irs.Scenario(
        n_ms=3, n_bs=4, n_irs=10, grid=7, spread=2, n_pilots=2, n_patterns=4, n_trials=2
    )
    run = irs.Run(small, seed=11, redraw_per_trial=True)
    for i in range(2):
        t = run.trial(i)
        for name in ("H1", "H2", "H", "y0", "pilots", "patterns"):
            out[f"small_{i}_{name}"] = np.asarray(getattr(t, name))
    np.savez_compressed("tests/data/irs/on_grid_trials.npz", **out)


if __name__ == "__main__":
    main()
