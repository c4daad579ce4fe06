"""The rank-one split of a measurement tensor (sequential SVD + optional HOOI sweeps)."""

from __future__ import annotations

from functools import reduce
from itertools import pairwise

import numpy as np
import pytest

from krosbl.decomposition import RankOneSplit, rank_one_split

SHAPES = [(5, 7), (4, 3, 6), (3, 2, 4, 3)]


def _random(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool) -> np.ndarray:
    v = rng.standard_normal(shape)
    return v + 1j * rng.standard_normal(shape) if complex_ else v


def _outer(factors: list[np.ndarray]) -> np.ndarray:
    return reduce(np.multiply.outer, factors)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"I{len(s)}")
def test_exact_on_rank_one(shape: tuple[int, ...], is_complex: bool) -> None:
    rng = np.random.default_rng(len(shape))
    vectors = [_random(rng, (m,), is_complex) for m in shape]
    y = reduce(np.kron, vectors)
    split = rank_one_split(y, shape)
    assert isinstance(split, RankOneSplit)
    assert [len(f) for f in split.factors] == list(shape)
    np.testing.assert_allclose(
        reduce(np.kron, split.factors), y, rtol=0, atol=1e-12 * np.abs(y).max()
    )
    assert split.residual_fraction < 1e-24
    assert split.energy == pytest.approx(float(np.sum(np.abs(y) ** 2)), rel=1e-12)
    for f in split.factors[:-1]:
        assert np.linalg.norm(f) == pytest.approx(1.0, rel=1e-12)
    assert np.linalg.norm(split.factors[-1]) == pytest.approx(np.linalg.norm(y), rel=1e-12)
    assert all(np.iscomplexobj(f) == is_complex for f in split.factors)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"I{len(s)}")
def test_matches_numpy_reconstruction(shape: tuple[int, ...], is_complex: bool) -> None:
    """Residual and energy are those of the numpy outer product; I = 2 is the truncated SVD."""
    rng = np.random.default_rng(10 + len(shape))
    y = _random(rng, (int(np.prod(shape)),), is_complex)
    split = rank_one_split(y, shape)
    tensor = y.reshape(shape)
    r = np.einsum(",".join("abcd"[: len(shape)]) + "->" + "abcd"[: len(shape)], *split.factors)
    np.testing.assert_allclose(split.tensor(), r, rtol=1e-13)
    assert split.residual_sq == pytest.approx(float(np.sum(np.abs(tensor - r) ** 2)), rel=1e-12)
    assert split.energy == pytest.approx(float(np.sum(np.abs(y) ** 2)), rel=1e-12)
    assert split.residual_fraction == pytest.approx(split.residual_sq / split.energy)
    if len(shape) == 2:
        u, s, vh = np.linalg.svd(tensor)
        np.testing.assert_allclose(r, s[0] * np.outer(u[:, 0], vh[0]), atol=1e-12)
        assert split.residual_sq == pytest.approx(float(np.sum(s[1:] ** 2)), rel=1e-10)


@pytest.mark.parametrize("shape", SHAPES[1:], ids=lambda s: f"I{len(s)}")
def test_hooi_never_increases_residual(shape: tuple[int, ...], is_complex: bool) -> None:
    rng = np.random.default_rng(20 + len(shape))
    vectors = [_random(rng, (m,), is_complex) for m in shape]
    y = reduce(np.kron, vectors) + 0.8 * _random(rng, (int(np.prod(shape)),), is_complex)
    residuals = [rank_one_split(y, shape, hooi_sweeps=k).residual_sq for k in range(6)]
    assert all(b <= a * (1 + 1e-12) for a, b in pairwise(residuals))
    assert residuals[-1] < residuals[0]  # the refinement does something on noisy data
    split = rank_one_split(y, shape, hooi_sweeps=3)
    for f in split.factors[:-1]:
        assert np.linalg.norm(f) == pytest.approx(1.0, rel=1e-12)
    r = _outer(split.factors)
    assert split.residual_sq == pytest.approx(float(np.sum(np.abs(y.reshape(shape) - r) ** 2)))


def test_hooi_keeps_exact_rank_one(is_complex: bool) -> None:
    rng = np.random.default_rng(3)
    shape = (4, 3, 5)
    y = reduce(np.kron, [_random(rng, (m,), is_complex) for m in shape])
    split = rank_one_split(y, shape, hooi_sweeps=4)
    np.testing.assert_allclose(reduce(np.kron, split.factors), y, atol=1e-12 * np.abs(y).max())


def test_zero_and_single_factor() -> None:
    split = rank_one_split(np.zeros(12), (3, 4))
    assert split.energy == 0.0 and split.residual_fraction == 0.0
    np.testing.assert_array_equal(reduce(np.kron, split.factors), np.zeros(12))
    one = rank_one_split(np.arange(5.0), (5,))
    np.testing.assert_array_equal(one.factors[0], np.arange(5.0))
    assert one.residual_sq == 0.0


@pytest.mark.parametrize(
    ("y", "shape", "kwargs", "error", "match"),
    [
        (np.ones(6), (2, 4), {}, ValueError, "needs 8"),
        (np.array([1.0, np.nan, 0, 0]), (2, 2), {}, ValueError, "NaN or infinite"),
        (np.array([1.0, np.inf, 0, 0]), (2, 2), {}, ValueError, "NaN or infinite"),
        (np.ones(4), (2, 0), {}, ValueError, "positive integers"),
        (np.ones(4), (), {}, ValueError, "positive integers"),
        (np.ones(4), (2, 2), {"hooi_sweeps": -1}, ValueError, ">= 0"),
        (np.ones(4), (2, 2), {"hooi_sweeps": 1.5}, TypeError, "integer"),
        (np.array(["a"] * 4), (2, 2), {}, TypeError, "numeric"),
    ],
)
def test_bad_input(y, shape, kwargs, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        rank_one_split(y, shape, **kwargs)
