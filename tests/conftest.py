"""Shared helpers for the tests: small random problems, real and complex twins."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def random_factors(
    rng: np.random.Generator, out_shape: Sequence[int], in_shape: Sequence[int], complex_: bool
) -> list[np.ndarray]:
    """Gaussian factor matrices ``A_i`` of shape ``(M_i, N_i)``."""
    mats = []
    for m, n in zip(out_shape, in_shape):
        a = rng.standard_normal((m, n))
        if complex_:
            a = a + 1j * rng.standard_normal((m, n))
        mats.append(a)
    return mats


def kron_sparse(
    rng: np.random.Generator,
    in_shape: Sequence[int],
    k: int,
    complex_: bool,
    block: bool = False,
) -> np.ndarray:
    """``x = x_1 ⊗ … ⊗ x_I`` with ``k`` random non-zeros of magnitude in [0.5, 1.5) per factor

    (``block=True``: ``k`` consecutive indices per factor)."""
    x = np.ones(1)
    for n in in_shape:
        xi = np.zeros(n, dtype=complex if complex_ else float)
        if block:
            start = rng.integers(n - k + 1)
            idx = np.arange(start, start + k)
        else:
            idx = rng.choice(n, size=min(k, n), replace=False)
        values = (0.5 + rng.random(len(idx))) * rng.choice([-1.0, 1.0], len(idx))
        if complex_:
            values = values * np.exp(2j * np.pi * rng.random(len(idx)))
        xi[idx] = values
        x = np.kron(x, xi)
    return x


@pytest.fixture(params=[False, True], ids=["real", "complex"])
def is_complex(request: pytest.FixtureRequest) -> bool:
    """Run a test on the real and on the complex twin."""
    return bool(request.param)


def sweep_args(config: Path, out: Path, trials: int, *extra: str) -> list[str]:
    """The arguments of ``run synthetic-snr`` on ``config`` into ``out``: plain log lines, no
    figures, then ``extra``."""
    return [
        "run",
        "synthetic-snr",
        "--config",
        str(config),
        "--out",
        str(out),
        "--trials",
        str(trials),
        "--quiet",
        "--no-plot",
        *extra,
    ]


def assert_equals_a_local_run(out: Path, config: Path, trials: int, reference: Path) -> None:
    """The rows stored in ``out`` hold each (trial, algorithm, value) once and equal, exactly
    but for ``time_s``, those of the same sweep run in this process into ``reference``."""
    import pandas as pd

    from krosbl.experiments import load_results, run_experiment

    stored = load_results(out)
    assert stored.groupby(["trial", "algorithm", "value"]).size().eq(1).all()
    local = run_experiment(
        "synthetic-snr",
        trials=trials,
        out=reference,
        workers=1,
        config=config,
        progress=False,
        plot=False,
    )
    pd.testing.assert_frame_equal(
        stored.drop(columns="time_s"), local.drop(columns="time_s"), check_exact=True
    )


# ---------------------------------------------------------------------------------------------
# The authors' reference fixtures (krosbl/reference/data): each row solved once per session


def reference_geometry(ref: dict) -> Any:
    """The :class:`krosbl.irs.Geometry` of an IRS fixture's own angle and gain draws."""
    from krosbl import irs

    a, b = ref["AoA_irs_idx0"], ref["AoA_bs_idx0"]
    np.testing.assert_array_equal(np.diff(a), 1)
    np.testing.assert_array_equal(np.diff(b), 1)
    return irs.Geometry(
        ms_departure=int(ref["AoD_ms_idx0"]),
        irs_arrival=int(a[0]),
        irs_departure=int(ref["AoD_irs_idx0"]),
        bs_arrival=int(b[0]),
        irs_gains=ref["alpha_a"][a],
        bs_gains=ref["alpha_2"][b],
    )


def reference_trial(ref: dict) -> Any:
    """A :class:`krosbl.irs.Trial` built from an IRS fixture's own draws (pilots, patterns,
    angles, gains)."""
    from krosbl import irs

    sc = irs.Scenario.paper()
    geo = reference_geometry(ref)
    h1, h2 = irs.physical_channels(geo, sc)
    h = irs.cascaded_channels(h1, h2, ref["irs_pattern"])
    return irs.Trial(
        scenario=sc,
        index=0,
        pilots=ref["X"],
        patterns=ref["irs_pattern"],
        geometry=geo,
        H1=h1,
        H2=h2,
        H=h,
        z=irs.angular_channel(geo, sc),
        support=irs.angular_support(geo, sc.grid),
        y0=np.einsum("kbn,nt->ktb", h, ref["X"]).ravel(),
        factors=irs.build_factors(ref["irs_pattern"], ref["X"], sc.n_bs, sc.grid),
    )


class ReferenceSolutions:
    """Lazily loaded reference fixtures and krosbl's solutions of their rows, each computed at
    most once per test session (tests/test_reference.py and tests/test_irs_reference.py share
    them).

    A synthetic row is solved by :func:`krosbl.reference.solve`. An IRS row is solved as a user
    solves it, by :func:`krosbl.irs.estimate` on the trial rebuilt from the fixture's own draws
    (:func:`reference_trial`): the same ``krosbl.recover`` call as ``reference.solve`` makes
    (tests/test_reference.py checks method, settings and ``σ²``), so it is not solved twice.
    """

    def __init__(self) -> None:
        from krosbl import reference

        self.directory = reference.FIXTURES_DIR
        self._fixtures: dict[str, Any] = {}
        self._arrays: dict[str, dict[str, np.ndarray]] = {}
        self._trials: dict[str, Any] = {}
        self._solved: dict[tuple[str, str], tuple[Any, Any, float]] = {}

    def fixture(self, name: str) -> Any:
        """The :class:`krosbl.reference.Fixture` ``name`` (e.g. ``"irs_p01"``)."""
        from krosbl import reference

        if name not in self._fixtures:
            self._fixtures[name] = reference.load_fixture(self.directory / f"{name}.npz")
        return self._fixtures[name]

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        """Every array stored in ``name.npz``."""
        if name not in self._arrays:
            with np.load(self.directory / f"{name}.npz") as data:
                self._arrays[name] = dict(data)
        return self._arrays[name]

    def trial(self, name: str) -> Any:
        """The :class:`krosbl.irs.Trial` of an IRS fixture."""
        if name not in self._trials:
            self._trials[name] = reference_trial(self.arrays(name))
        return self._trials[name]

    def result(self, name: str, tag: str) -> tuple[Any, Any, Any, float]:
        """``(fixture, case, result, seconds)`` of one row (``tag`` as in the fixture's JSON)."""
        from krosbl import irs, reference

        fx = self.fixture(name)
        case = next(c for c in reference.cases(fx) if c.tag == tag)
        if (name, tag) not in self._solved:
            start = time.perf_counter()
            if fx.kind == "irs":
                ref = self.arrays(name)
                obs = irs.Observation(
                    self.trial(name), float(ref["SNR"]), float(ref["noise_var"]), ref["y"]
                )
                overrides = {"max_iter": case.settings.max_iter}
                if case.method == "pc-krosbl":
                    overrides["beta"] = case.settings.beta
                solved: Any = irs.estimate(obs, case.method, **overrides)
            else:
                solved = reference.solve(fx, case)
            self._solved[name, tag] = (case, solved, time.perf_counter() - start)
        _, solved, secs = self._solved[name, tag]
        result = solved.result if fx.kind == "irs" else solved
        return fx, case, result, secs

    def estimate(self, name: str, tag: str) -> Any:
        """The :class:`krosbl.irs.Estimate` of an IRS row."""
        self.result(name, tag)
        return self._solved[name, tag][1]


@pytest.fixture(scope="session")
def reference_solutions() -> ReferenceSolutions:
    """The reference rows, each solved at most once per session (:class:`ReferenceSolutions`)."""
    return ReferenceSolutions()


class QuickRuns:
    """``run_experiment(name, quick=True)`` with figures, each experiment at most once per
    session (tests/test_experiments_quick.py and tests/test_experiments_same_numbers.py
    check the same runs)."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._runs: dict[str, tuple[Any, Path]] = {}

    def __call__(self, name: str) -> tuple[Any, Path]:
        """The stored rows (a DataFrame) and the output folder of ``name --quick``."""
        from krosbl.experiments import run_experiment

        if name not in self._runs:
            out = self._factory.mktemp("quick") / name
            df = run_experiment(name, quick=True, out=out, workers=1, progress=False)
            self._runs[name] = (df, out)
        df, out = self._runs[name]
        return df.copy(), out


@pytest.fixture(scope="session")
def quick_runs(tmp_path_factory: pytest.TempPathFactory) -> QuickRuns:
    """Each experiment's ``--quick`` run, computed once per session (:class:`QuickRuns`)."""
    return QuickRuns(tmp_path_factory)
