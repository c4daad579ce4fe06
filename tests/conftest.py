"""Shared helpers for the tests: small random problems, real and complex twins."""

from __future__ import annotations

from collections.abc import Sequence

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
