"""Shared helpers for the tests: small random problems, real and complex twins."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
