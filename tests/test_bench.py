"""``krosbl bench``: the real command line on the quick problems, and the JSON it writes.

No wall-clock assertions: timings depend on the machine; only the structure is checked.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from krosbl import bench
from krosbl.bench.cases import SCALE_QUICK
from krosbl.bench.measure import Row, Solver, measure_in_child
from krosbl.cli import build_parser
from krosbl.experiments.registry import list_experiments


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """``python -m krosbl.cli bench --quick --repeat 1 --json PATH``: the JSON and stdout."""
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    cmd = [
        sys.executable,
        "-m",
        "krosbl.cli",
        "bench",
        "--quick",
        "--repeat",
        "1",
        "--json",
        str(path),
        "--cases",
        *bench.CASES,  # the opt-in paper case too (seconds at --quick sizes)
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(Path(path).read_text()), proc.stdout


def _finite_positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_json_layout(quick_run: tuple[dict[str, Any], str]) -> None:
    doc, _ = quick_run
    assert doc["schema"] == bench.report.SCHEMA
    assert doc["meta"]["quick"] is True and doc["meta"]["repeat"] == 1
    assert [c["name"] for c in doc["cases"]] == list(bench.CASES)
    assert {r["case"] for r in doc["rows"]} == set(bench.CASES)
    for case in doc["cases"]:
        assert case["problems"], case["name"]
        assert case["checks"] == []  # targets are for the full-size run only
        expected = {s.label for s in bench.CASES[case["name"]].solvers}
        if case["name"] == "paper":
            expected = {"run", "run all --paper"}
        assert {r["method"] for r in doc["rows"] if r["case"] == case["name"]} == expected


def test_rows_have_positive_times_and_ratios(quick_run: tuple[dict[str, Any], str]) -> None:
    doc, _ = quick_run
    for row in doc["rows"]:
        if row["case"] == "paper":  # trial times and estimates (test_paper_estimates)
            continue
        assert row["error"] is None, row
        assert row["n_solves"] == 1 or row["case"] == "iteration"  # iterations: ≥ 0.25 s
        assert _finite_positive(row["time_s"]), row
        assert _finite_positive(row["ratio"]), row
        if row["case"] != "iteration":
            assert math.isfinite(row["nmse"]) and row["nmse"] >= 0, row
            assert row["n_iter"] >= 1


def test_baselines(quick_run: tuple[dict[str, Any], str]) -> None:
    doc, _ = quick_run
    for case in doc["cases"]:
        rows = [r for r in doc["rows"] if r["case"] == case["name"]]
        base = [r for r in rows if r["baseline"]]
        if case["name"] == "batch":  # each batched row against its method's one-by-one row
            assert {r["method"] for r in base} == {r["method"] for r in rows} - {
                r["method"] for r in rows if r["method"].endswith("batched")
            }
            times = {(r["problem"], r["method"]): r["time_s"] for r in rows}
            for r in rows:
                one_by_one = r["method"].replace("batched", "one by one")
                assert r["ratio"] == pytest.approx(r["time_s"] / times[r["problem"], one_by_one])
            continue
        if case["baseline"] is None:
            assert base == []
            continue
        problems = {r["problem"] for r in rows}
        # one baseline row per problem; every ratio is to the baseline of its own problem
        assert sorted(r["problem"] for r in base) == sorted(problems)
        assert {r["method"] for r in base} == {case["baseline"]}
        base_time = {r["problem"]: r["time_s"] for r in base}
        for r in rows:
            if r["problem"] == "median":  # the median of the ratios (tested below)
                continue
            assert r["ratio"] == pytest.approx(r["time_s"] / base_time[r["problem"]])


def test_case_specific_fields(quick_run: tuple[dict[str, Any], str]) -> None:
    doc, _ = quick_run
    by_case: dict[str, list[dict[str, Any]]] = {}
    for r in doc["rows"]:
        by_case.setdefault(r["case"], []).append(r)
    for r in by_case["scale"]:
        for key in ("peak_rss", "rss_before_solve", "traced_peak", "memory_estimate"):
            assert _finite_positive(r["extra"][key]), (key, r)
        assert r["extra"]["peak_rss"] >= r["extra"]["rss_before_solve"]
    for r in by_case["iteration"]:
        assert _finite_positive(r["extra"]["posterior_s"])
        assert r["n_iter"] == 1
        assert r["ratio"] == pytest.approx(r["time_s"] / r["extra"]["posterior_s"])
        extra = r["extra"]
        assert _finite_positive(extra["solve_iteration_s"])
        assert _finite_positive(extra["solve_posterior_s"])
        assert extra["solve_ratio"] == pytest.approx(
            extra["solve_iteration_s"] / extra["solve_posterior_s"]
        )
    assert len({r["problem"] for r in by_case["irs-sized-snr"]}) == 2
    assert len({r["problem"] for r in by_case["iteration"]}) == 2
    for r in by_case["irs"]:
        if r["method"] == "dkrosbl":  # beyond the paper: no published time
            assert "paper_s" not in r["extra"]
        else:
            assert _finite_positive(r["extra"]["paper_s"])
        # the quick problem is not the paper's size: no comparison with the published time
        assert "faster_than_paper" not in r["extra"]
        assert math.isfinite(r["extra"]["channel_nmse"])
    ard = [r for r in by_case["synthetic"] if r["method"].startswith("ARD")]
    assert len(ard) == 1 and ard[0]["n_iter"] <= 150


def test_paper_estimates(quick_run: tuple[dict[str, Any], str]) -> None:
    doc, _ = quick_run
    rows = [r for r in doc["rows"] if r["case"] == "paper"]
    names = [e.name for e in list_experiments()]
    assert [r["problem"] for r in rows] == [*names, "total"]
    for r in rows[:-1]:
        assert _finite_positive(r["time_s"]) and r["n_solves"] == 1
        expected = -(-r["extra"]["trials"] // bench.paper.PAPER_WORKERS) * r["time_s"]
        assert r["extra"]["estimate_s"] == pytest.approx(expected)
    total = sum(r["extra"]["estimate_s"] for r in rows[:-1])
    assert rows[-1]["extra"]["estimate_s"] == pytest.approx(total)


def test_table_printed(quick_run: tuple[dict[str, Any], str]) -> None:
    _, out = quick_run
    for name in bench.CASES:
        assert f"== {name}:" in out
    for header in ("method", "time/solve", "ratio", "NMSE", "n_iter", "cross-machine".upper()):
        assert header in out


def test_the_paper_case_runs_only_when_named() -> None:
    assert bench.CASES["paper"].opt_in
    assert [n for n, c in bench.CASES.items() if c.opt_in] == ["paper"]


def test_parser_options() -> None:
    args = build_parser().parse_args(
        ["bench", "--cases", "scale", "irs", "--repeat", "2", "--threads", "auto", "--quick"]
    )
    assert args.func is bench.handler
    assert (args.cases, args.repeat, args.threads, args.quick) == (["scale", "irs"], 2, None, True)
    assert build_parser().parse_args(["bench"]).threads == 1
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--cases", "nope"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--repeat", "0"])


def test_run_benchmark_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown case"):
        bench.run_benchmark(["nope"])
    with pytest.raises(ValueError, match="repeat"):
        bench.run_benchmark(["iteration"], repeat=0)


def test_target_check() -> None:
    rows = [
        Row("c", "p", "fast", time_s=0.01, ratio=0.005),
        Row("c", "p", "slow", time_s=2.0, ratio=1.0, baseline=True),
        Row("c", "p", "broken", error="ValueError: x"),
    ]
    speed = bench.Target("fast ≥ 100×", "speedup", ">=", 100.0, "fast").check(rows)
    assert [(c["row"], c["passed"]) for c in speed] == [("p / fast", True)]
    assert speed[0]["value"] == pytest.approx(200.0)
    every = bench.Target("time ≤ 1 s", "time_s", "<=", 1.0).check(rows)
    assert [c["passed"] for c in every] == [True, False, False]


def test_child_solve_over_its_timeout_is_skipped() -> None:
    solver = Solver("svd-krosbl", "svd-krosbl", timeout_s=1e-3)
    row = measure_in_child("scale", SCALE_QUICK, solver, repeat=2, budget_s=60.0, threads=1)
    assert row.time_s is None and row.n_solves == 0
    assert row.error is not None and row.error.startswith("skipped")


def test_published_time_ratio_only_on_the_paper_size() -> None:
    from krosbl.bench.cases import _set_ratios
    from krosbl.bench.measure import Row

    def rows() -> list[Row]:
        return [
            Row("irs", "p", "svd-krosbl", time_s=0.04, extra={"paper_s": 30.0}),
            Row("irs", "p", "sbl (dense)", time_s=20.0, extra={"paper_s": 63.0}),
        ]

    full = rows()
    _set_ratios(full, "sbl (dense)", {}, paper_sized=True)
    assert full[0].extra["faster_than_paper"] == pytest.approx(750.0)
    assert full[0].ratio == pytest.approx(0.002) and full[1].baseline
    quick = rows()
    _set_ratios(quick, "sbl (dense)", {}, paper_sized=False)
    assert all("faster_than_paper" not in r.extra for r in quick)


def test_plain_dense_sbl_runs_the_same_iterations_as_krosbl(is_complex: bool) -> None:
    """The bench's plain dense EM is classic SBL: same iterations, same estimate."""
    import numpy as np
    from conftest import random_factors

    from krosbl import Kron, recover
    from krosbl.bench.plain import plain_dense_sbl

    rng = np.random.default_rng(3)
    factors = random_factors(rng, (4, 5), (6, 7), is_complex)
    A = Kron(factors).todense()
    x = np.zeros(42, dtype=A.dtype)
    x[[3, 17, 30]] = [1.0, -2.0, 0.5]
    y = A @ x + 0.01 * rng.standard_normal(20)
    res = recover(
        y, Kron(factors), "sbl", 1e-4, prune_ratio=1e-3, tol=1e-4, max_iter=60, normalize=False
    )
    plain = plain_dense_sbl(y, A, 1e-4, prune_ratio=1e-3, tol=1e-4, max_iter=60)
    assert plain.n_iter == res.n_iter
    assert np.allclose(plain.x, res.x, rtol=0, atol=1e-9 * np.abs(res.x).max())


def test_synthetic_sbl_rows_take_turns_and_have_medians(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    doc, _ = quick_run
    rows = [r for r in doc["rows"] if r["case"] == "synthetic-sbl"]
    problems = [r["problem"] for r in rows]
    assert problems.count("median") == 3
    per_problem = [r for r in rows if r["problem"] != "median"]
    medians = {r["method"]: r for r in rows if r["problem"] == "median"}
    kron = [r["ratio"] for r in per_problem if r["method"] == "sbl (Kron)"]
    assert medians["sbl (Kron)"]["ratio"] == pytest.approx(statistics.median(kron))
    assert medians["plain dense EM"]["ratio"] == 1.0
    # same iterations and accuracy as the baseline on every problem
    for problem in {r["problem"] for r in per_problem}:
        mine = [r for r in per_problem if r["problem"] == problem]
        assert len({r["n_iter"] for r in mine}) == 1
        assert max(r["nmse"] for r in mine) <= 1.000001 * min(r["nmse"] for r in mine)


def test_measure_in_turn_alternates_solvers(monkeypatch: pytest.MonkeyPatch) -> None:
    from krosbl.bench import measure

    order: list[str] = []

    def fake_prepare(problem: Any, solver: Solver) -> Any:
        def run() -> measure.Outcome:
            order.append(solver.label)
            if solver.label == "bad":
                raise RuntimeError("boom")
            return measure.Outcome(0.01, None, 1, 0.0)

        return run

    monkeypatch.setattr(measure, "_prepare", fake_prepare)
    problem = type("P", (), {"name": "p"})()
    solvers = (Solver("a", "sbl"), Solver("bad", "sbl"), Solver("b", "sbl"))
    rows = measure.measure_in_turn("c", problem, solvers, repeat=3, budget_s=10.0)
    assert order == ["a", "bad", "b", "a", "b", "a", "b"]
    assert [r.method for r in rows] == ["a", "bad", "b"]
    assert rows[1].error == "RuntimeError: boom" and rows[0].n_solves == 3
