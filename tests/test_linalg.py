"""The small linear-algebra kernels against NumPy and against the formed Kronecker vectors."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

from krosbl.linalg import hermitian_eig, kron_distance, leading_eigenpair
from krosbl.priors import KronPrior


def _hermitian(rng: np.random.Generator, n: int, is_complex: bool) -> np.ndarray:
    a = rng.standard_normal((n, n + 2)) + (
        1j * rng.standard_normal((n, n + 2)) if is_complex else 0
    )
    return a @ a.conj().T


@pytest.mark.parametrize("is_complex", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("n", [1, 3, 16])
def test_hermitian_eig_matches_numpy(n, is_complex):
    b = _hermitian(np.random.default_rng(n), n, is_complex)
    values, vectors = hermitian_eig(b.copy())
    expected = np.linalg.eigh(b)[0]
    assert np.allclose(values, expected, rtol=1e-12, atol=1e-12 * expected.max())
    assert np.allclose(vectors @ np.diag(values) @ vectors.conj().T, b, atol=1e-10 * expected.max())
    assert np.allclose(vectors.conj().T @ vectors, np.eye(n), atol=1e-12)


@pytest.mark.parametrize("is_complex", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("n", [1, 4, 18])
def test_leading_eigenpair_matches_numpy(n, is_complex):
    b = _hermitian(np.random.default_rng(10 + n), n, is_complex)
    value, vector = leading_eigenpair(b.copy())
    values, vectors = np.linalg.eigh(b)
    assert value == pytest.approx(values[-1], rel=1e-12)
    assert abs(np.vdot(vector, vectors[:, -1])) == pytest.approx(1.0, rel=1e-10)


@pytest.mark.parametrize("sizes", [(5,), (3, 4), (2, 3, 4), (2, 2, 3, 2)])
@pytest.mark.parametrize("step", [1.0, 1e-9])
def test_kron_distance_matches_the_formed_vectors(sizes, step):
    rng = np.random.default_rng(len(sizes))
    a = [rng.random(n) + 0.1 for n in sizes]
    b = [g + step * rng.standard_normal(len(g)) for g in a]
    full_a, full_b = reduce(np.multiply.outer, a).ravel(), reduce(np.multiply.outer, b).ravel()
    expected = np.linalg.norm(full_a - full_b)
    # the telescoped form keeps full relative accuracy for a tiny step, where the
    # difference of the squared norms would have lost it
    assert kron_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert kron_distance(a, b, relative=True) == pytest.approx(
        expected / np.linalg.norm(full_b), rel=1e-6
    )
    assert kron_distance(a, a) == 0.0
    zeros = [np.zeros(n) for n in sizes]
    assert kron_distance(zeros, zeros, relative=True) == 0.0
    assert kron_distance(a, zeros, relative=True) == np.inf


@pytest.mark.parametrize("ratios", [(0.0, 0.0, 0.0), (0.3, 0.0, 0.5), (0.6, 0.6, 0.6)])
def test_prior_relative_change_matches_the_embedded_vectors(ratios):
    """The factor-wise change since a snapshot equals the change of the full-length ``⊗γ``,
    including the mass of entries pruned in between."""
    rng = np.random.default_rng(3)
    prior = KronPrior([rng.random(n) for n in (4, 5, 3)])
    prior.prune((0.2, 0.0, 0.0), 0.0)  # an earlier pruning: the snapshot has a smaller kept set
    before = prior.embedded()
    snapshot = prior.snapshot()
    prior.prune(ratios, 0.0)
    prior.gammas = [g * (1 + 0.1 * rng.standard_normal(len(g))) for g in prior.gammas]
    expected = np.linalg.norm(prior.embedded() - before) / np.linalg.norm(before)
    assert prior.relative_change(snapshot) == pytest.approx(expected, rel=1e-10)
