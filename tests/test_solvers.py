"""Properties of the SBL-family solvers run through ``krosbl.recover``."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
from conftest import kron_sparse, random_factors

import krosbl
from krosbl.metrics import nmse
from krosbl.updates import factor_target

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SBL_FAMILY = ["sbl", "pc-sbl", "am-krosbl", "svd-krosbl", "pc-krosbl", "ksbl"]


def test_factor_target_matches_explicit_sum():
    rng = np.random.default_rng(0)
    shape = (3, 4, 2)
    lam = rng.random(shape)
    gammas = [rng.random(n) + 0.1 for n in shape]
    for i in range(3):
        expected = np.zeros(shape[i])
        for idx in np.ndindex(shape):
            others = np.prod([gammas[k][idx[k]] for k in range(3) if k != i])
            expected[idx[i]] += lam[idx] / others
        expected /= np.prod([shape[k] for k in range(3) if k != i])
        assert np.allclose(factor_target(lam, gammas, i), expected)


def test_one_factor_am_equals_classic_sbl(is_complex):
    rng = np.random.default_rng(1)
    (A,) = random_factors(rng, (20,), (40,), is_complex)
    x = np.zeros(40, dtype=A.dtype)
    x[[3, 17, 30]] = [1.0, -2.0, 0.5]
    y = A @ x + 0.01 * rng.standard_normal(20)
    common = dict(prune_ratio=None, tol=1e-6, max_iter=60)
    am = krosbl.recover(y, [A], "am-krosbl", 1e-4, init="ones", **common)
    sbl = krosbl.recover(y, A, "sbl", 1e-4, **common)
    assert am.n_iter == sbl.n_iter
    assert np.allclose(am.x, sbl.x, atol=1e-10)
    assert np.allclose(am.cost, sbl.cost)


@pytest.mark.parametrize("shape", [((6, 7), (8, 9)), ((4, 5, 6), (6, 6, 6))])
def test_am_cost_never_increases_without_pruning(shape, is_complex):
    rng = np.random.default_rng(2)
    f = random_factors(rng, *shape, is_complex)
    x = kron_sparse(rng, shape[1], 2, is_complex)
    y = krosbl.Kron(f) @ x
    y = y + 0.05 * np.linalg.norm(y) / np.sqrt(len(y)) * rng.standard_normal(len(y))
    res = krosbl.recover(
        y, f, "am-krosbl", 1e-2, prune_ratio=None, tol=0.0, max_iter=40, inner_tol=1e-12
    )
    steps = np.diff(res.cost)
    assert np.all(steps <= 1e-9 * np.abs(res.cost[1:]))
    assert res.cost[-1] < res.cost[0]


@pytest.mark.parametrize("method", [*SBL_FAMILY, "oracle-ls"])
def test_noiseless_recovery(method, is_complex):
    rng = np.random.default_rng(3)
    in_shape = (6, 6, 6)
    out_shape = (5, 5, 5)
    f = [
        a / np.linalg.norm(a, axis=0) for a in random_factors(rng, out_shape, in_shape, is_complex)
    ]
    x = kron_sparse(rng, in_shape, 2, is_complex, block=method.startswith("pc-"))
    y = krosbl.Kron(f) @ x
    kwargs = {"support": np.flatnonzero(x)} if method == "oracle-ls" else {}
    noise = 1e-10 if method != "oracle-ls" else None
    settings = (
        krosbl.SolverSettings(method, max_iter=400, tol=1e-8) if method in SBL_FAMILY else None
    )
    res = krosbl.recover(y, f, method, noise, settings=settings, **kwargs)
    assert nmse(res.x, x) < 1e-6, res


def _block_sparse_problem(rng, trial):
    n, m = (18, 6, 16), (6, 3, 16)
    f = random_factors(rng, m, n, True)
    parts = []
    for i, ni in enumerate(n):
        xi = np.zeros(ni, complex)
        if i == 1:
            xi[rng.integers(ni)] = 1.0
        else:
            start = rng.integers(ni - 3)
            xi[start : start + 3] = rng.standard_normal(3) + 1j * rng.standard_normal(3)
        parts.append(xi)
    x = reduce(np.kron, parts)
    y0 = krosbl.Kron(f) @ x
    noise_var = np.mean(np.abs(y0) ** 2) / 10 ** (5 / 10)
    y = y0 + np.sqrt(noise_var / 2) * (
        rng.standard_normal(len(y0)) + 1j * rng.standard_normal(len(y0))
    )
    return f, x, y, noise_var


def test_pc_krosbl_beats_am_krosbl_on_block_sparse():
    rng = np.random.default_rng(4)
    am_err, pc_err = [], []
    for trial in range(8):
        f, x, y, nv = _block_sparse_problem(rng, trial)
        am_err.append(nmse(krosbl.recover(y, f, "am-krosbl", nv, settings="irs").x, x))
        pc_err.append(nmse(krosbl.recover(y, f, "pc-krosbl", nv, settings="irs").x, x))
    assert np.mean(pc_err) < np.mean(am_err)


@pytest.mark.parametrize("method", ["sbl", "am-krosbl", "svd-krosbl", "ksbl", "pc-sbl"])
def test_learned_noise_close_to_known(method):
    rng = np.random.default_rng(5)
    learned, err_known, err_learned = [], [], []
    for _ in range(20 if method != "sbl" else 6):
        f = random_factors(rng, (5, 6, 8), (8, 8, 8), False)
        x = kron_sparse(rng, (8, 8, 8), 2, False)
        y0 = krosbl.Kron(f) @ x
        nv = np.mean(y0**2) / 10 ** (20 / 10)
        y = y0 + np.sqrt(nv) * rng.standard_normal(len(y0))
        # PC-SBL's hyperprior rate b is absolute: this test keeps it in the units of y, where
        # it was tuned (normalize=True took the known-σ² median NMSE from 2e-3 to 2e-2 here).
        options = {"normalize": False} if method == "pc-sbl" else {}
        known = krosbl.recover(y, f, method, nv, **options)
        fit = krosbl.recover(y, f, method, None, **options)
        assert fit.noise_learned and fit.noise_var is not None
        learned.append(fit.noise_var / nv)
        err_known.append(nmse(known.x, x))
        err_learned.append(nmse(fit.x, x))
    ratio = np.exp(np.mean(np.log(learned)))
    assert 0.5 <= ratio <= 2.0, learned
    if method != "sbl":
        # Classic SBL learns σ² within the factor 2 too, but its NMSE with a learned σ² was
        # about 2.3× the known-σ² NMSE over 20 such trials; the 20 % bound is asserted for the
        # other methods (PC-SBL: 1.18× over the same 20 trials).
        assert np.mean(err_learned) <= 1.2 * np.mean(err_known), (err_known, err_learned)


def test_pruning_shrinks_support_and_embeds_zeros():
    rng = np.random.default_rng(6)
    f = random_factors(rng, (6, 6, 6), (10, 10, 10), False)
    x = kron_sparse(rng, (10, 10, 10), 2, False)
    res = krosbl.recover(krosbl.Kron(f) @ x, f, "svd-krosbl", 1e-6)
    assert len(res.support) < 1000
    mask = np.ones(1000, bool)
    mask[res.support] = False
    assert np.all(res.x[mask] == 0)
    assert [len(g) for g in res.gammas] == [10, 10, 10]


def test_record_history_and_time():
    rng = np.random.default_rng(7)
    f = random_factors(rng, (5, 5), (8, 8), False)
    y = krosbl.Kron(f) @ kron_sparse(rng, (8, 8), 2, False)
    res = krosbl.recover(y, f, "am-krosbl", 1e-3, record_history=True, tol=0.0, max_iter=7)
    assert res.n_iter == 7 and len(res.mean_history) == 7 and len(res.cost) == 7
    assert res.time_s > 0 and not res.converged


def test_pcsbl_neighbourhoods():
    from krosbl.updates import PCSBLUpdate

    v = np.arange(1.0, 7.0)
    flat = PCSBLUpdate(eta=0.5).neighbours(v)
    assert np.allclose(flat, [2.0, 4.0, 6.0, 8.0, 10.0, 8.5])
    axes = PCSBLUpdate(eta=0.5, shape=(2, 3)).neighbours(v)
    t = v.reshape(2, 3)
    expected = t.copy()
    expected[1:] += 0.5 * t[:-1]
    expected[:-1] += 0.5 * t[1:]
    expected[:, 1:] += 0.5 * t[:, :-1]
    expected[:, :-1] += 0.5 * t[:, 1:]
    assert np.allclose(axes, expected.ravel())
    # index 2 and 3 are flat neighbours but lie in different rows: coupled only in "flat" mode
    assert flat[3] - v[3] == pytest.approx(0.5 * (v[2] + v[4]))
    assert axes[3] - v[3] == pytest.approx(0.5 * (v[0] + v[4]))


def test_pcsbl_axes_option_runs_and_needs_kron():
    rng = np.random.default_rng(8)
    f = random_factors(rng, (5, 5), (8, 8), False)
    x = kron_sparse(rng, (8, 8), 3, False, block=True)
    y = krosbl.Kron(f) @ x
    res = krosbl.recover(y, f, "pc-sbl", 1e-6, pc_neighbours="axes")
    assert nmse(res.x, x) < 1e-2
    with pytest.raises(ValueError, match="needs a Kron"):
        krosbl.recover(y, np.kron(*f), "pc-sbl", 1e-6, pc_neighbours="axes")


@pytest.mark.parametrize("shape", [(4, 30), (30, 4), (5, 5)])
def test_leading_singular_triplet_matches_svd(shape):
    from krosbl.updates import _leading_singular_triplet

    m = np.random.default_rng(9).random(shape)
    u, s, v = _leading_singular_triplet(m)
    uu, ss, vh = np.linalg.svd(m)
    assert s == pytest.approx(ss[0], rel=1e-12)
    assert np.allclose(np.abs(u), np.abs(uu[:, 0]), atol=1e-12)
    assert np.allclose(np.abs(v), np.abs(vh[0]), atol=1e-12)


@pytest.mark.parametrize("tol_type", ["abs", "rel"])
@pytest.mark.parametrize("sizes", [(4, 5, 3), (3, 4, 2, 3)])
def test_am_sweeps_match_a_plain_implementation(sizes, tol_type):
    """The AM M-step (normalising once, factor-wise δ) against the textbook loop: update each
    factor by its target, normalise after every sweep, δ from the formed ``⊗γ``."""
    from krosbl.posterior import Posterior
    from krosbl.priors import KronPrior
    from krosbl.updates import SweepUpdate

    rng = np.random.default_rng(len(sizes))
    lam = rng.random(sizes) ** 2 + 0.01
    start = [rng.random(n) + 0.5 for n in sizes]
    tol = 1e-9 if tol_type == "abs" else 1e-10

    gammas = [g.copy() for g in start]
    sweeps = 0
    while True:
        previous = reduce(np.multiply.outer, gammas)
        for i in range(len(gammas)):
            gammas[i] = factor_target(lam, gammas, i)
        norms = [np.linalg.norm(g) for g in gammas[:-1]]
        gammas = [g / n for g, n in zip(gammas, norms)] + [gammas[-1] * np.prod(norms)]
        sweeps += 1
        current = reduce(np.multiply.outer, gammas)
        delta = np.linalg.norm(current - previous)
        if tol_type == "rel":
            delta /= np.linalg.norm(previous)
        if delta <= tol:
            break

    prior = KronPrior(start)
    post = Posterior(mean=np.zeros(lam.size), var=lam.ravel(), cost=0.0, residual_sq=0.0, dof=0.0)
    rule = SweepUpdate(tol=tol, tol_type=tol_type)
    rule.update(prior, post)
    assert rule.n_sweeps == [sweeps]
    for ours, plain in zip(prior.gammas, gammas):
        assert np.allclose(ours, plain, rtol=1e-9, atol=0)
    for g in prior.gammas[:-1]:
        assert np.linalg.norm(g) == pytest.approx(1.0, rel=1e-12)
