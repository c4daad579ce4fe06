"""Measure dKroSBL (with and without its refinement) against the paper's methods.

Three suites, the same observations for every method:

* **IRS** — the paper's scenario (``krosbl.irs.Scenario.paper()``, run seed 7), SNR 4…20 dB,
  known σ² as in the paper. PC-KroSBL β = 0.8 and SVD-KroSBL run through
  :func:`krosbl.irs.estimate` with the paper's presets; dKroSBL's ``x`` is mapped to the
  channels exactly as ``irs.estimate`` does (``trial.rebuild(x.reshape(unknown_shape))``).
  Reports the channel NMSE mean (of the per-trial NMSE), median and pooled
  (``Σ‖Ĥ−H‖²/Σ‖H‖²`` over trials and patterns), and the median wall-clock time per solve.
* **Synthetic** — the paper's SNR sweep (``N_i = 15``, ``M = (8, 12, 15)``, ``K = 3``, real,
  known σ²; :mod:`krosbl.experiments.synthetic_data`), dKroSBL against SVD-KroSBL with its
  ``"synthetic"`` preset: NMSE mean / median / pooled, support recovery rate, time.
* **Synthetic, not rank one** — the same sizes with ``x = x_a + ½ x_b`` (``K = 2`` and ``K = 1``
  rank-one terms), where the refinement is meant to help.

Usage::

    OMP_NUM_THREADS=1 python docs/scripts/measure_dkrosbl.py [--trials 50] [--synthetic-trials 40]
        [--rank-two-trials 20] [--refine-iter 10] [--json out.json]

Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

import krosbl
from krosbl import irs
from krosbl.experiments import synthetic_data as sd
from krosbl.metrics import support_recovery_rate

IRS_SNRS = (4.0, 8.0, 12.0, 16.0, 20.0)
SYNTHETIC_SNRS = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0)


@dataclass
class Tally:
    """Per-solve records of one method at one SNR."""

    nmse: list[float] = field(default_factory=list)
    err_sq: list[float] = field(default_factory=list)
    ref_sq: list[float] = field(default_factory=list)
    time_s: list[float] = field(default_factory=list)
    srr: list[float] = field(default_factory=list)
    warned: int = 0

    def row(self) -> dict[str, float]:
        return {
            "mean_db": 10 * math.log10(float(np.mean(self.nmse))),
            "median_db": 10 * math.log10(float(np.median(self.nmse))),
            "pooled_db": 10 * math.log10(sum(self.err_sq) / sum(self.ref_sq)),
            "time_ms": 1e3 * float(np.median(self.time_s)),
            "srr": float(np.mean(self.srr)) if self.srr else float("nan"),
            "warned": self.warned,
            "n": len(self.nmse),
        }


def _timed(solve: Callable[..., NDArray], *args: Any) -> tuple[NDArray, float, int]:
    """``solve(*args)``, its wall-clock time and the number of RuntimeWarnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        x = solve(*args)
        elapsed = time.perf_counter() - start
    return x, elapsed, sum(issubclass(w.category, RuntimeWarning) for w in caught)


def irs_methods(refine_iter: int) -> dict[str, Callable[[irs.Observation], NDArray]]:
    """Each method maps an observation to the estimated channels ``Ĥ``."""

    def dk(**kw: object) -> Callable[[irs.Observation], NDArray]:
        def run(obs: irs.Observation) -> NDArray:
            trial = obs.trial
            fit = krosbl.recover(obs.y, trial.operator, "dkrosbl", obs.noise_var, **kw)
            return trial.rebuild(np.asarray(fit.x).reshape(trial.scenario.unknown_shape))

        return run

    def on_grid(method: str) -> Callable[[irs.Observation], NDArray]:
        return lambda obs: irs.estimate(obs, method).H

    return {
        "dKroSBL": dk(),
        f"dKroSBL + refine SVD ({refine_iter} it)": dk(refine=True, refine_iter=refine_iter),
        f"dKroSBL + refine AM ({refine_iter} it)": dk(
            refine=True, refine_method="am-krosbl", refine_iter=refine_iter
        ),
        "PC-KroSBL β=0.8": on_grid("pc-krosbl"),
        "SVD-KroSBL": on_grid("svd-krosbl"),
    }


def run_irs(trials: int, refine_iter: int, seed: int = 7) -> dict[str, dict[float, Tally]]:
    sc = irs.Scenario.paper()
    run = irs.Run(sc, seed=seed)
    methods = irs_methods(refine_iter)
    tallies = {name: {snr: Tally() for snr in IRS_SNRS} for name in methods}
    for t in range(trials):
        trial = run.trial(t)
        noise = np.random.default_rng([seed, t])
        h = trial.H
        for snr in IRS_SNRS:
            obs = trial.observe(snr, rng=noise)
            for name, method in methods.items():
                h_hat, elapsed, warned = _timed(method, obs)
                tally = tallies[name][snr]
                tally.nmse.append(irs.channel_nmse(h_hat, trial))
                tally.err_sq.append(float(np.sum(np.abs(h_hat - h) ** 2)))
                tally.ref_sq.append(float(np.sum(np.abs(h) ** 2)))
                tally.time_s.append(elapsed)
                tally.warned += warned
        print(f"irs trial {t + 1}/{trials}", flush=True)
    return tallies


def run_synthetic(
    trials: int, refine_iter: int, seed: int = 11, *, rank_two: bool = False
) -> dict[str, dict[float, Tally]]:
    """The paper's synthetic SNR sweep; ``rank_two``: ``x = x_a + ½ x_b`` with ``K = 2`` and
    ``K = 1`` rank-one terms instead (not rank one: where the refinement is meant to help)."""
    n, m, k = (15, 15, 15), (8, 12, 15), 3
    names = ("dKroSBL", f"dKroSBL + refine SVD ({refine_iter} it)", "SVD-KroSBL")
    tallies = {name: {snr: Tally() for snr in SYNTHETIC_SNRS} for name in names}

    def dk(y: NDArray, a: list[NDArray], sigma2: float) -> NDArray:
        return krosbl.recover(y, a, "dkrosbl", sigma2).x

    def dk_refined(y: NDArray, a: list[NDArray], sigma2: float) -> NDArray:
        return krosbl.recover(y, a, "dkrosbl", sigma2, refine=True, refine_iter=refine_iter).x

    def svd(y: NDArray, a: list[NDArray], sigma2: float) -> NDArray:
        return krosbl.recover(y, a, "svd-krosbl", sigma2, settings="synthetic").x

    solvers = dict(zip(names, (dk, dk_refined, svd)))
    for t in range(trials):
        data, noise = (np.random.default_rng([seed, t, i]) for i in range(2))
        matrices = sd.draw_matrices(data, m, n)
        if rank_two:
            first, second = sd.draw_kron_sparse(data, n, 2), sd.draw_kron_sparse(data, n, 1)
            truth = first.vector() + 0.5 * second.vector()
        else:
            truth = sd.draw_kron_sparse(data, n, k).vector()
        y0 = sd.measure(matrices, truth)
        for snr in SYNTHETIC_SNRS:
            sigma2 = sd.noise_variance(y0, snr)
            y = sd.noisy(noise, y0, sigma2)
            for name, solve in solvers.items():
                x_hat, elapsed, warned = _timed(solve, y, matrices, sigma2)
                tally = tallies[name][snr]
                err = float(np.sum(np.abs(x_hat - truth) ** 2))
                ref = float(np.sum(truth**2))
                tally.nmse.append(err / ref)
                tally.err_sq.append(err)
                tally.ref_sq.append(ref)
                tally.time_s.append(elapsed)
                tally.srr.append(support_recovery_rate(x_hat, truth))
                tally.warned += warned
        print(f"synthetic{' rank-two' if rank_two else ''} trial {t + 1}/{trials}", flush=True)
    return tallies


def table(title: str, tallies: dict[str, dict[float, Tally]], with_srr: bool) -> str:
    snrs = list(next(iter(tallies.values())))
    head = "| method | stat | " + " | ".join(f"{s:g} dB" for s in snrs) + " |"
    lines = [f"### {title}", "", head, "|---|---|" + "---|" * len(snrs)]
    stats = [("mean NMSE (dB)", "mean_db"), ("median NMSE (dB)", "median_db")]
    stats += [("pooled NMSE (dB)", "pooled_db"), ("median time (ms)", "time_ms")]
    if with_srr:
        stats.append(("support recovery", "srr"))
    stats.append(("RuntimeWarnings", "warned"))
    for name, per_snr in tallies.items():
        rows = {snr: tally.row() for snr, tally in per_snr.items()}
        for label, key in stats:
            cells = " | ".join(
                f"{rows[s][key]:.2f}" if key != "warned" else f"{rows[s][key]:d}" for s in snrs
            )
            lines.append(f"| {name} | {label} | {cells} |")
    return "\n".join(lines)


def rows(tallies: dict[str, dict[float, Tally]]) -> dict[str, dict[str, dict[str, float]]]:
    """The statistics of every method and SNR, for the JSON output."""
    return {name: {f"{snr:g}": t.row() for snr, t in per.items()} for name, per in tallies.items()}


def write_json(path: str | None, results: dict[str, Any]) -> None:
    """Write ``results`` to ``path`` (nothing without a path)."""
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--synthetic-trials", type=int, default=40)
    parser.add_argument("--rank-two-trials", type=int, default=20)
    parser.add_argument("--refine-iter", type=int, default=10)
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    suites: tuple[tuple[str, Callable[..., dict[str, dict[float, Tally]]], int, str], ...] = (
        ("irs", run_irs, args.trials, "IRS, paper scenario, {} trials (channel NMSE)"),
        ("synthetic", run_synthetic, args.synthetic_trials, "Synthetic SNR sweep, {} trials"),
        (
            "synthetic-rank-two",
            partial(run_synthetic, rank_two=True),
            args.rank_two_trials,
            "Synthetic, x = x_a + x_b/2 (not rank one), {} trials",
        ),
    )
    for suite, runner, trials, title in suites:
        if trials <= 0:
            continue
        tallies = runner(trials, args.refine_iter)
        with_srr = suite != "irs"
        print(table(title.format(trials), tallies, with_srr), flush=True)
        results[suite] = rows(tallies)
    write_json(args.json, results)


if __name__ == "__main__":
    main()
