"""The benchmark suite (``benchmarks/``, run from a checkout) on its quick problems.

No wall-clock assertions: timings depend on the machine; only the structure is checked. The
speed targets are asserted by the opt-in run ``python -m pytest benchmarks``.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import random_factors

from benchmarks import CASES, measure, paper, run_benchmark
from benchmarks.__main__ import build_parser
from benchmarks.cases import SCALE_QUICK, _set_ratios
from benchmarks.measure import Outcome, Row, Solver, measure_in_child
from benchmarks.plain import plain_dense_sbl
from benchmarks.report import SCHEMA
from krosbl import Kron, recover
from krosbl.experiments.registry import list_experiments

ROOT = Path(__file__).resolve().parents[1]

#: Every case but the opt-in ``paper`` (tested without solving, below).
DEFAULT_CASES = [name for name, case in CASES.items() if not case.opt_in]


def benchmarks(*args: str | Path, **kwargs: Any) -> subprocess.Popen[str]:
    """Start ``python -m benchmarks ARGS`` from the checkout, as its README says."""
    command = [sys.executable, "-m", "benchmarks", *map(str, args)]
    return subprocess.Popen(command, cwd=ROOT, text=True, stderr=subprocess.PIPE, **kwargs)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """``python -m benchmarks --quick --repeat 1 --json PATH``: the JSON and stdout."""
    path = tmp_path_factory.mktemp("benchmarks") / "quick.json"
    proc = benchmarks("--quick", "--repeat", "1", "--json", path, stdout=subprocess.PIPE)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(path.read_text(encoding="utf-8")), out


def _finite_positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_json_layout(quick_run: tuple[dict[str, Any], str]) -> None:
    doc, _ = quick_run
    assert doc["schema"] == SCHEMA
    assert doc["meta"]["quick"] is True and doc["meta"]["repeat"] == 1
    assert [c["name"] for c in doc["cases"]] == DEFAULT_CASES
    for case in doc["cases"]:
        assert case["problems"], case["name"]
        expected = {s.label for s in CASES[case["name"]].solvers}
        assert {r["method"] for r in doc["rows"] if r["case"] == case["name"]} == expected


def test_rows_have_positive_times_and_ratios(quick_run: tuple[dict[str, Any], str]) -> None:
    doc, _ = quick_run
    for row in doc["rows"]:
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
        extra = r["extra"]
        assert _finite_positive(extra["posterior_s"]) and r["n_iter"] == 1
        assert r["ratio"] == pytest.approx(r["time_s"] / extra["posterior_s"])
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


def test_synthetic_sbl_rows_have_medians(quick_run: tuple[dict[str, Any], str]) -> None:
    doc, _ = quick_run
    rows = [r for r in doc["rows"] if r["case"] == "synthetic-sbl"]
    assert [r["problem"] for r in rows].count("median") == 3
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


def test_tables_printed(quick_run: tuple[dict[str, Any], str]) -> None:
    _, out = quick_run
    assert out.startswith("benchmarks — repeat 1 (median), quick sizes, BLAS threads: 1")
    for name in DEFAULT_CASES:
        assert f"== {name}:" in out
    for header in ("method", "time/solve", "ratio", "NMSE", "n_iter", "cross-machine".upper()):
        assert header in out


def test_options_json_and_a_closed_stdout(tmp_path: Path) -> None:
    """``--repeat``, ``--budget``, ``--threads``, ``--quiet``, ``--json`` into a folder that
    does not exist yet, and nobody reading stdout."""
    path = tmp_path / "new" / "out.json"
    args = ("--quick", "--cases", "irs-sized-snr", "--repeat", "3", "--budget", "1e-9")
    proc = benchmarks(*args, "--threads", "1", "--quiet", "--json", path, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and err == f"wrote {path}\n"  # no progress, no warm-up warning
    doc = json.loads(path.read_text(encoding="utf-8"))
    meta = doc["meta"]
    assert (meta["repeat"], meta["budget_s"], meta["blas_threads_limit"]) == (3, 1e-9, 1)
    assert meta["threadpools"] and {p["num_threads"] for p in meta["threadpools"]} == {1}
    assert doc["rows"] and all(row["n_solves"] == 1 for row in doc["rows"])  # the budget


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--threads", "x"], "argument --threads: expected a positive integer, got 'x'"),
        (["--repeat", "0"], "argument --repeat: must be at least 1, got 0"),
        (["--budget", "nan"], "argument --budget: must be a positive number"),
        (["--cases", "nope"], "argument --cases: invalid choice: 'nope'"),
        (["--json", "."], "argument --json: '.' is a folder, not a file"),
    ],
)
def test_bad_values_are_refused_before_any_work(args: list[str], needle: str) -> None:
    proc = benchmarks("--quick", *args, stdout=subprocess.PIPE)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and not out
    assert needle in err and "[benchmarks]" not in err  # nothing was measured


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["--cases", "scale", "irs", "--threads", "auto"])
    assert (args.cases, args.repeat, args.threads, args.quick) == (["scale", "irs"], 3, None, False)
    assert build_parser().parse_args([]).threads == 1


def test_run_benchmark_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown case"):
        run_benchmark(["nope"])
    with pytest.raises(ValueError, match="repeat"):
        run_benchmark(["iteration"], repeat=0)


def test_paper_estimates_without_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each experiment's estimate is its median trial time × ⌈trials / 2 workers⌉; the total
    row adds them up (the trials themselves replaced by a no-op)."""
    from krosbl.experiments import executors

    assert [n for n, c in CASES.items() if c.opt_in] == ["paper"]
    ran: list[str] = []
    monkeypatch.setattr(executors, "execute_trial", lambda task: ran.append(task.experiment))
    infos, rows = paper.measure_paper("paper", quick=False, repeat=2, budget_s=60.0)
    names = [e.name for e in list_experiments()]
    assert [r.problem for r in rows] == [*names, paper.TOTAL]
    assert [info["name"] for info in infos] == names and set(ran) == set(names)
    for r, info in zip(rows, infos, strict=False):
        assert r.n_solves == min(2, info["trials"]) and r.time_s is not None
        expected = -(-info["trials"] // paper.PAPER_WORKERS) * r.time_s
        assert r.extra == {"trials": info["trials"], "estimate_s": pytest.approx(expected)}
    assert rows[-1].extra["estimate_s"] == pytest.approx(
        sum(r.extra["estimate_s"] for r in rows[:-1])
    )


def test_child_solve_over_its_timeout_is_skipped() -> None:
    solver = Solver("svd-krosbl", "svd-krosbl", timeout_s=1e-3)
    row = measure_in_child("scale", SCALE_QUICK, solver, repeat=2, budget_s=60.0, threads=1)
    assert row.time_s is None and row.n_solves == 0
    assert row.error is not None and row.error.startswith("skipped")


def test_published_time_ratio_only_on_the_paper_size() -> None:
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
    """The plain dense EM baseline is classic SBL: same iterations, same estimate."""
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


def test_measure_in_turn_alternates_solvers(monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []

    def fake_prepare(problem: Any, solver: Solver) -> Any:
        def run() -> Outcome:
            order.append(solver.label)
            if solver.label == "bad":
                raise RuntimeError("boom")
            return Outcome(0.01, None, 1, 0.0)

        return run

    monkeypatch.setattr(measure, "_prepare", fake_prepare)
    problem = type("P", (), {"name": "p"})()
    solvers = (Solver("a", "sbl"), Solver("bad", "sbl"), Solver("b", "sbl"))
    rows = measure.measure_in_turn("c", problem, solvers, repeat=3, budget_s=10.0)
    assert order == ["a", "bad", "b", "a", "b", "a", "b"]
    assert [r.method for r in rows] == ["a", "bad", "b"]
    assert rows[1].error == "RuntimeError: boom" and rows[0].n_solves == 3


def test_before_after_compares_two_source_trees_in_one_process(tmp_path: Path) -> None:
    """The checkout against itself: every row is there, the estimates agree exactly."""
    out = tmp_path / "ab.json"
    command = [sys.executable, "-m", "benchmarks.before_after", str(ROOT / "src")]
    command += ["--quick", "--repeat", "1", "--json", str(out)]
    done = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert {(r["problem"], r["method"]) for r in rows} >= {
        ("irs-paper-4dB-t0", "pc-krosbl"),
        ("irs-sized-8-draws", "am-krosbl"),
    }
    assert all(r["estimate_difference"] == 0.0 and r["ratio"] > 0 for r in rows)
    assert len(done.stdout.splitlines()) == len(rows)
