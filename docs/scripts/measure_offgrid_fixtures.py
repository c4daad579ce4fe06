"""krosbl's off-grid estimator on the observations of the authors' offSBL runs.

The reference runs (the authors' MATLAB code for He & Joseph, arXiv:2412.00310, under GNU
Octave; format in tests/data/offsbl/README.md) hold, per trial, the observations at −5, 0, 10
and 20 dB with the authors' offSBL NMSE and time. For every trial and SNR this runs
``krosbl.irs.estimate(measurement, "offgrid")`` with its defaults (path counts estimated), with
the noise variance given and learned, and reports per SNR the training NMSE (the authors'
per-pattern mean), the held-out NMSE on the trial's fresh patterns, ``10·log10`` of the mean
over trials and the median of the per-trial dB, against offSBL's; the rate of correct path
counts ``(3, 1, 1)``; and the median time per solve against the fixtures' Octave times (another
implementation on another machine: the ratio is indicative only).

Usage::

    python docs/scripts/measure_offgrid_fixtures.py FIXTURE_DIR [--json OUT.json] [--repeats R]

writes docs/measurements/offgrid_fixtures.json by default; each solve is timed ``R`` times
(default 3) and its median kept, one BLAS thread.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

# the sibling script, importable from here when this file runs as a script
from measure_offsbl_fixtures import N_BS, N_MS, channels_from_columns, nmse_summary
from threadpoolctl import threadpool_limits

from krosbl import irs

DEFAULT_OUT = Path(__file__).parents[1] / "measurements" / "offgrid_fixtures.json"


def _solve(measurement: irs.Measurement, repeats: int) -> tuple[irs.Estimate, float]:
    """The estimate and the median wall time of ``repeats`` solves."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        est = irs.estimate(measurement, "offgrid")
        times.append(time.perf_counter() - start)
    return est, float(np.median(times))


def main(fixtures: Path, out: Path, repeats: int) -> None:
    rows = []
    for path in sorted(fixtures.glob("trial_*.npz")):
        with np.load(path) as f:
            d = {k: f[k] for k in f.files}
        h_true, h_fresh = channels_from_columns(d["Htrue"]), channels_from_columns(d["Htrue_fresh"])
        system = irs.System(d["X"], d["IRS"], N_BS)
        for s, snr in enumerate(d["snr_db"]):
            y = d["y"][s].reshape(N_BS, 20, 40, order="F").transpose(2, 1, 0)
            for noise in ("known", "learned"):
                noise_var = float(d["noise_var"][s]) if noise == "known" else None
                est, seconds = _solve(irs.Measurement(system, y, noise_var), repeats)
                counts = [len(a) for a in est.result.details["factor_angles"]]
                fresh = est.paths.channels(d["IRS_fresh"], n_ms=N_MS, n_bs=N_BS)
                rows.append(
                    {
                        "trial": int(d["trial"]),
                        "snr_db": float(snr),
                        "noise": noise,
                        "nmse": irs.channel_nmse(est.H, h_true),
                        "nmse_fresh": irs.channel_nmse(fresh, h_fresh),
                        "counts": counts,
                        "seconds": seconds,
                        "nmse_offsbl": float(d["nmse_offSBL"][s]),
                        "nmse_fresh_offsbl": float(d["nmse_fresh_offSBL"][s]),
                        "seconds_offsbl_octave": float(d["time_offSBL"][s]),
                    }
                )
    if not rows:
        raise SystemExit(f"no trial_*.npz in {fixtures}")
    summary: dict[str, dict] = {}
    for noise in ("known", "learned"):
        for snr in sorted({r["snr_db"] for r in rows}):
            sel = [r for r in rows if r["noise"] == noise and r["snr_db"] == snr]
            summary.setdefault(noise, {})[f"{snr:g}"] = {
                "trials": len(sel),
                **{k: nmse_summary([r[k] for r in sel]) for k in ("nmse", "nmse_fresh")},
                **{
                    k: nmse_summary([r[k] for r in sel])
                    for k in ("nmse_offsbl", "nmse_fresh_offsbl")
                },
                "correct_counts": float(np.mean([r["counts"] == [3, 1, 1] for r in sel])),
            }
        sel = [r for r in rows if r["noise"] == noise]
        seconds = float(np.median([r["seconds"] for r in sel]))
        octave = float(np.median([r["seconds_offsbl_octave"] for r in sel]))
        summary[noise]["seconds_per_solve"] = {
            "krosbl_median": seconds,
            "offsbl_octave_median": octave,
            "ratio": octave / seconds,
        }
    print(json.dumps(summary, indent=1))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "solves": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixtures", type=Path, help="directory of the authors' trial_TT.npz")
    parser.add_argument("--json", type=Path, default=DEFAULT_OUT, help="output JSON file")
    parser.add_argument("--repeats", type=int, default=3, help="timed solves per observation")
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        main(args.fixtures, args.json, args.repeats)
