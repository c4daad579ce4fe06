"""The speed targets: plain assertions on the full-size cases, an opt-in run.

Not collected by the default ``python -m pytest`` (``testpaths``); run them from a checkout
with ``python -m pytest benchmarks`` on a quiet machine (``-k "not paper"`` leaves out the
estimate of the whole paper, the longest). Each case is measured once per run, one BLAS
thread, the solvers taking turns, as ``python -m benchmarks --cases NAME``.
Targets that the current code is known to miss are ``xfail`` with the reason
(``docs/performance.md`` explains each).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from . import CASES
from .cases import MEDIAN, run_case
from .measure import Row, limit_threads, warm_up
from .paper import TOTAL

pytestmark = pytest.mark.performance

#: Bytes in a GiB.
GIB = 2**30


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    with limit_threads(1):
        warm_up()
        yield


@functools.cache
def measure(case: str) -> dict[tuple[str, str], Row]:
    """The full-size rows of ``case`` by (problem, solver label), measured once per run."""
    result = run_case(CASES[case], quick=False, repeat=3, budget_s=60.0, threads=1)
    return {(row.problem, row.method): row for row in result.rows}


def speedup(row: Row) -> float:
    """How many times faster than the case's baseline row."""
    assert row.ratio is not None, row.error
    return 1.0 / row.ratio


def test_irs_sized_svd_krosbl_within_50_ms() -> None:
    svd = measure("irs-sized")["irs-sized", "svd-krosbl"]
    assert svd.time_s is not None and svd.time_s <= 0.05


@pytest.mark.xfail(reason="dense classic SBL prunes early on this trial")
def test_irs_sized_svd_krosbl_100x_dense_sbl() -> None:
    assert speedup(measure("irs-sized")["irs-sized", "svd-krosbl"]) >= 100.0


@pytest.mark.xfail(reason="dense classic SBL prunes early on most SNRs of the trial")
def test_irs_sized_snr_svd_krosbl_100x_dense_sbl_at_every_snr() -> None:
    rows = measure("irs-sized-snr")
    assert all(speedup(row) >= 100.0 for (_, method), row in rows.items() if method == "svd-krosbl")


@pytest.mark.xfail(reason="the plain dense EM costs about 7 M³ per iteration, krosbl about M³")
def test_classic_sbl_on_the_kron_10x_plain_dense_em() -> None:
    assert speedup(measure("synthetic-sbl")[MEDIAN, "sbl (Kron)"]) >= 10.0


def test_scale_1e6_unknowns() -> None:
    rows = measure("scale")
    svd, dk = rows["scale-1e6", "svd-krosbl"], rows["scale-1e6", "dkrosbl"]
    assert svd.time_s is not None and svd.time_s <= 15.0
    assert svd.extra["peak_rss"] < 2 * GIB
    assert dk.time_s is not None and dk.time_s <= 0.1


@pytest.mark.xfail(reason="at the IRS size an M-step is a few dozen small array operations")
def test_one_em_iteration_within_2x_one_posterior() -> None:
    for row in measure("iteration").values():
        assert row.ratio is not None and row.ratio <= 2.0, row
        assert row.extra["solve_ratio"] <= 2.0, row


@pytest.mark.xfail(reason="the one-trial rank experiment alone takes about half an hour")
def test_paper_within_10_minutes_on_2_workers() -> None:
    assert measure("paper")[TOTAL, "run all --paper"].extra["estimate_s"] <= 600.0
