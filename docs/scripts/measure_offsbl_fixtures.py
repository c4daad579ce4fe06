"""krosbl's offSBL on the observations of the authors' offSBL runs, trial by trial.

The reference runs are the authors' MATLAB code for He & Joseph, "Efficient off-grid Bayesian
parameter estimation for Kronecker-structured signals" (arXiv:2412.00310) under GNU Octave 7.3:
one ``trial_TT.npz`` per trial with the observations at −5, 0, 10 and 20 dB and the authors'
offSBL outputs (the format is described in tests/data/offsbl/README.md; the repository keeps a
reduced copy of four trials, the full eight are not part of it). For every trial and SNR it runs
:func:`krosbl.irs.offsbl_estimate` (through :func:`krosbl.irs.estimate`) on the same ``y``
and reports

* the largest angle deviation from the authors' per factor, the training NMSE (the authors'
  per-pattern definition) and the held-out NMSE on the trial's fresh patterns, for both;
* the estimate's paths: their number (smallest and largest in the summary), and how far
  their channels on the fresh patterns are from the all-weights rebuild
  (``‖Ĥ_paths − Ĥ‖²/‖Ĥ‖²`` over all patterns);
* the noise variance learned by the BS factor (``result.noise_var``) against the true one;
* per SNR: ``10·log10`` of the mean linear NMSE over trials and the median of the per-trial dB,
  for both;
* the time per solve: krosbl's wall and CPU time of the whole solve (split and three fits,
  one BLAS thread) against the fixtures' ``time_offSBL`` (Octave, one core, the EM loops
  only). The two are different implementations on different machines: the ratio is
  indicative only.

Usage::

    python docs/scripts/measure_offsbl_fixtures.py FIXTURE_DIR [--json OUT.json]

writes docs/measurements/offsbl_fixtures.json by default.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from krosbl import irs

N_MS, N_BS, N_IRS = 6, 16, 256
DEFAULT_OUT = Path(__file__).parents[1] / "measurements" / "offsbl_fixtures.json"


def channels_from_columns(h_cols: np.ndarray) -> np.ndarray:
    """The authors' ``(96, K)`` column-major ``vec(H_k)`` as krosbl's ``(K, N_b, N_m)``."""
    return h_cols.reshape(N_BS, N_MS, -1, order="F").transpose(2, 0, 1)


def _db(x: float | np.ndarray) -> float:
    return float(10 * np.log10(x))


def _relative(h: np.ndarray, ref: np.ndarray) -> float:
    """``‖h − ref‖²/‖ref‖²`` over all patterns."""
    return float(np.linalg.norm(h - ref) ** 2 / np.linalg.norm(ref) ** 2)


def nmse_summary(values: list[float]) -> dict[str, float]:
    """``10·log10`` of the mean of linear NMSE values, and the median of their dB."""
    v = np.asarray(values)
    return {"mean_db": _db(v.mean()), "median_db": float(np.median(10 * np.log10(v)))}


def main(fixtures: Path, out: Path) -> None:
    rows = []
    files = sorted(fixtures.glob("trial_*.npz"))
    if not files:
        raise SystemExit(f"no trial_*.npz in {fixtures}")
    for path in files:
        with np.load(path) as f:
            d = {k: f[k] for k in f.files}
        h_true, h_true_fresh = (
            channels_from_columns(d["Htrue"]),
            channels_from_columns(d["Htrue_fresh"]),
        )
        system = irs.System(d["X"], d["IRS"], N_BS)
        for s, snr in enumerate(d["snr_db"]):
            y = d["y"][s].reshape(N_BS, 20, 40, order="F").transpose(2, 1, 0)
            cpu = time.process_time()
            est = irs.estimate(irs.Measurement(system, y), "offsbl")
            cpu = time.process_time() - cpu
            fit = est.result.details["fit"]
            dev = {
                name: float(np.max(np.abs(getattr(fit, name).angles - d[f"angles_offSBL_{k}"][s])))
                for k, name in enumerate(("irs", "ms", "bs"), start=1)
            }
            h_fresh = fit.channels(d["IRS_fresh"])
            h_paths = est.paths.channels(d["IRS_fresh"], n_ms=N_MS, n_bs=N_BS)
            rows.append(
                {
                    "trial": int(d["trial"]),
                    "snr_db": float(snr),
                    "angle_deviation": dev,
                    "nmse": irs.channel_nmse(est.H, h_true),
                    "nmse_authors": float(d["nmse_offSBL"][s]),
                    "nmse_fresh": irs.channel_nmse(h_fresh, h_true_fresh),
                    "nmse_fresh_authors": float(d["nmse_fresh_offSBL"][s]),
                    "paths": len(est.paths),
                    "paths_mismatch_fresh": _relative(h_paths, h_fresh),
                    "noise_var_learned": est.result.noise_var,
                    "noise_var": float(d["noise_var"][s]),
                    "seconds": est.result.time_s,
                    "cpu_seconds": cpu,
                    "seconds_authors": float(d["time_offSBL"][s]),
                    "iterations": [fit.irs.iterations, fit.ms.iterations, fit.bs.iterations],
                }
            )
            r = rows[-1]
            print(
                f"trial {r['trial']} {snr:+5.0f} dB: NMSE {_db(r['nmse']):7.2f} "
                f"(authors {_db(r['nmse_authors']):7.2f}) dB, angles within "
                f"{dev['irs']:.1e} / {dev['ms']:.1e} / {dev['bs']:.1e}, "
                f"{r['seconds']:.2f} s (Octave {r['seconds_authors']:.2f} s)"
            )
    per_snr = {}
    for snr in sorted({r["snr_db"] for r in rows}):
        sel = [r for r in rows if r["snr_db"] == snr]
        per_snr[f"{snr:g}"] = {
            "trials": len(sel),
            "nmse": nmse_summary([r["nmse"] for r in sel]),
            "nmse_authors": nmse_summary([r["nmse_authors"] for r in sel]),
            "nmse_fresh": nmse_summary([r["nmse_fresh"] for r in sel]),
            "nmse_fresh_authors": nmse_summary([r["nmse_fresh_authors"] for r in sel]),
        }
    seconds = np.array([r["seconds"] for r in rows])
    cpu_seconds = np.array([r["cpu_seconds"] for r in rows])
    authors = np.array([r["seconds_authors"] for r in rows])
    summary = {
        "solves": len(rows),
        "max_angle_deviation": {
            k: max(r["angle_deviation"][k] for r in rows) for k in ("irs", "ms", "bs")
        },
        "max_abs_nmse_difference_db": max(
            abs(_db(r["nmse"]) - _db(r["nmse_authors"])) for r in rows
        ),
        "max_abs_nmse_fresh_difference_db": max(
            abs(_db(r["nmse_fresh"]) - _db(r["nmse_fresh_authors"])) for r in rows
        ),
        "max_paths_mismatch_fresh_db": max(_db(r["paths_mismatch_fresh"]) for r in rows),
        "paths": [min(r["paths"] for r in rows), max(r["paths"] for r in rows)],
        "learned_to_true_noise_var": [
            min(r["noise_var_learned"] / r["noise_var"] for r in rows),
            max(r["noise_var_learned"] / r["noise_var"] for r in rows),
        ],
        "per_snr": per_snr,
        "seconds_per_solve": {
            "krosbl_median": float(np.median(seconds)),
            "krosbl_mean": float(seconds.mean()),
            "krosbl_cpu_median": float(np.median(cpu_seconds)),
            "krosbl_cpu_mean": float(cpu_seconds.mean()),
            "authors_octave_median": float(np.median(authors)),
            "authors_octave_mean": float(authors.mean()),
            "note": "krosbl: wall and process CPU time of the whole solve, one BLAS thread; "
            "authors: Octave 7.3, one core, EM loops only, another machine",
        },
    }
    print(json.dumps(summary, indent=2))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "solves": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixtures", type=Path, help="directory of the authors' trial_TT.npz")
    parser.add_argument("--json", type=Path, default=DEFAULT_OUT, help="output JSON file")
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        main(args.fixtures, args.json)
