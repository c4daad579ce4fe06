"""The Kronecker operator against the dense Kronecker product."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_factors

from krosbl import Kron
from krosbl.operators import kron_vector

SHAPES = [
    ((4,), (6,)),
    ((3, 5), (4, 2)),
    ((2, 3, 4), (3, 2, 5)),
    ((2, 2, 3, 2), (3, 2, 2, 3)),
]


@pytest.mark.parametrize(("out_shape", "in_shape"), SHAPES)
def test_matvec_rmatvec_matmat_match_dense(out_shape, in_shape, is_complex):
    rng = np.random.default_rng(0)
    f = random_factors(rng, out_shape, in_shape, is_complex)
    op = Kron(f)
    dense = op.todense()
    from functools import reduce

    assert np.allclose(dense, reduce(np.kron, f))
    x = rng.standard_normal(op.shape[1]) + 1j * rng.standard_normal(op.shape[1])
    v = rng.standard_normal(op.shape[0]) + 1j * rng.standard_normal(op.shape[0])
    assert np.allclose(op @ x, dense @ x, atol=1e-12)
    assert np.allclose(op.rmatvec(v), dense.conj().T @ v, atol=1e-12)
    X = rng.standard_normal((op.shape[1], 3))
    assert np.allclose(op @ X, dense @ X, atol=1e-12)
    assert np.allclose(op.H @ v, dense.conj().T @ v, atol=1e-12)


@pytest.mark.parametrize(("out_shape", "in_shape"), SHAPES)
def test_adjoint_dot_test(out_shape, in_shape, is_complex):
    rng = np.random.default_rng(1)
    op = Kron(random_factors(rng, out_shape, in_shape, is_complex))
    x = rng.standard_normal(op.shape[1]) + 1j * rng.standard_normal(op.shape[1])
    v = rng.standard_normal(op.shape[0]) + 1j * rng.standard_normal(op.shape[0])
    lhs = np.vdot(v, op @ x)
    rhs = np.vdot(op.rmatvec(v), x)
    assert abs(lhs - rhs) <= 1e-12 * abs(lhs)


@pytest.mark.parametrize(("out_shape", "in_shape"), SHAPES)
def test_structured_contractions_match_dense(out_shape, in_shape, is_complex):
    rng = np.random.default_rng(2)
    op = Kron(random_factors(rng, out_shape, in_shape, is_complex))
    dense = op.todense()
    g = rng.random(op.shape[1])
    assert np.allclose(op.weighted_gram(g), (dense * g) @ dense.conj().T, atol=1e-11)
    W = rng.standard_normal((op.shape[0],) * 2) + 1j * rng.standard_normal((op.shape[0],) * 2)
    expected = np.einsum("mn,mk,kn->n", dense.conj(), W, dense)
    assert np.allclose(op.adjoint_quadratic_diag(W), expected, atol=1e-10)


def test_select_and_kron_vector():
    rng = np.random.default_rng(3)
    f = random_factors(rng, (3, 4), (5, 6), False)
    op = Kron(f)
    keep = [np.array([0, 2]), np.array([1, 3, 5])]
    sub = op.select(keep)
    idx = np.ravel_multi_index(np.meshgrid(*keep, indexing="ij"), op.in_shape).ravel()
    assert np.allclose(sub.todense(), op.todense()[:, idx])
    assert np.allclose(
        kron_vector([np.arange(2), np.arange(3)]), np.kron(np.arange(2), np.arange(3))
    )


@pytest.mark.parametrize(
    ("factors", "err"),
    [
        ([], ValueError),
        ([np.ones(3)], ValueError),
        ([np.ones((0, 3))], ValueError),
        ([np.array([["a"]])], TypeError),
        (np.ones((2, 3, 4)), ValueError),
        (None, TypeError),
    ],
)
def test_bad_factors(factors, err):
    with pytest.raises(err):
        Kron(factors)


def test_no_columns_is_an_empty_matrix():
    op = Kron(random_factors(np.random.default_rng(5), (3, 4), (5, 6), False))
    assert op.columns([]).shape == (op.shape[0], 0)
    with pytest.raises(ValueError, match="at least one vector"):
        kron_vector([])


def test_select_checks_its_index_arrays():
    op = Kron(random_factors(np.random.default_rng(4), (3, 4), (5, 6), False))
    with pytest.raises(ValueError, match="needs 2 index arrays, got 1"):
        op.select([[0]])
    with pytest.raises(IndexError, match=r"factor 1 is outside 0\.\.5"):
        op.select([[0], [6]])
