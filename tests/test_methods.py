"""The method registry: neutral defaults on any problem, the settings contract, posterior
variances against the dense posterior, and scale equivariance."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import kron_sparse, random_factors

import krosbl
from krosbl.methods import METHODS, EMMethod
from krosbl.settings import SETTINGS

SBL_FAMILY = [name for name, m in METHODS.items() if isinstance(m, EMMethod)]


def _problem(rng, n_factors, is_complex, noise=0.05):
    out_shape, in_shape = (4,) * n_factors, (5,) * n_factors
    f = random_factors(rng, out_shape, in_shape, is_complex)
    x = kron_sparse(rng, in_shape, 2, is_complex)
    y0 = krosbl.Kron(f) @ x
    scale = noise * np.linalg.norm(y0) / np.sqrt(y0.size)
    y = y0 + scale * rng.standard_normal(y0.size)
    return f, x, y, scale**2


#: The dense methods on four factors (625 unknowns) take more than about 5 s each.
DEFAULT_RUNS = [
    pytest.param(method, n, marks=pytest.mark.slow)
    if n == 4 and method in ("sbl", "pc-sbl")
    else (method, n)
    for n in (2, 3, 4)
    for method in METHODS
]


@pytest.mark.parametrize(("method", "n_factors"), DEFAULT_RUNS)
def test_every_method_runs_on_defaults(method, n_factors, is_complex):
    rng = np.random.default_rng(n_factors)
    f, x, y, _ = _problem(rng, n_factors, is_complex)
    support = np.flatnonzero(x) if METHODS[method].takes_support else None
    res = krosbl.recover(y, f, method, support=support)
    assert res.x.shape == x.shape and np.all(np.isfinite(res.x))
    assert res.settings == krosbl.SolverSettings(method)
    assert np.iscomplexobj(res.x) == is_complex
    assert (res.x_var is None) == (method in ("kron-omp", "omp", "oracle-ls"))
    # a loose sanity bound: every method explains most of the energy of y
    assert np.linalg.norm(y - krosbl.Kron(f) @ res.x) < 0.9 * np.linalg.norm(y)


def test_every_default_is_a_declared_setting():
    for method in METHODS.values():
        assert set(method.defaults) <= set(SETTINGS), method.name
        krosbl.SolverSettings(method.name)  # the defaults pass their own checks


def test_a_setting_the_method_does_not_read_is_an_error():
    rng = np.random.default_rng(0)
    f, _, y, nv = _problem(rng, 2, False)
    reads = sorted(METHODS["svd-krosbl"].defaults)
    with pytest.raises(TypeError, match=r"'svd-krosbl' does not read setting\(s\) \['beta'\]") as e:
        krosbl.recover(y, f, "svd-krosbl", nv, beta=0.3)
    assert str(reads) in str(e.value)
    with pytest.raises(ValueError, match="invalid parameter 'beta' for SVDKroSBL"):
        krosbl.SVDKroSBL(noise_var=nv).set_params(beta=0.3)


def test_settings_record_contract():
    s = krosbl.SolverSettings("pc-krosbl", beta=[0.5, 0.6], coupled=[0, 2])
    assert s.beta == (0.5, 0.6) and s.coupled == (0, 2)
    assert s.replace(max_iter=3).max_iter == 3 and s.max_iter == 150
    assert pickle.loads(pickle.dumps(s)) == s
    assert dict(s)["floor"] == s.floor and len(s) == len(METHODS["pc-krosbl"].defaults)
    with pytest.raises(AttributeError, match="immutable"):
        s.max_iter = 3
    with pytest.raises(TypeError, match="for method 'pc-krosbl', not 'am-krosbl'"):
        krosbl.recover(np.ones(4), [np.eye(2), np.eye(2)], "am-krosbl", settings=s)
    with pytest.raises(ValueError, match="unknown method"):
        krosbl.SolverSettings("magic")


def test_one_factor_is_refused_where_a_method_needs_two():
    rng = np.random.default_rng(1)
    (A,) = random_factors(rng, (6,), (8,), False)
    needs_two = [m.name for m in METHODS.values() if m.min_factors > 1]
    assert needs_two == ["dkrosbl"]
    for name in needs_two:
        with pytest.raises(ValueError, match="methods for a single dictionary are"):
            krosbl.recover(A @ np.ones(8), [A], name)


def _dense_posterior(A, y, prior_var, noise_var, support):
    """Σ_x and μ over ``support`` from the textbook formulas (Tipping 2001)."""
    a = A[:, support]
    g = prior_var[support]
    sigma_y = noise_var * np.eye(A.shape[0]) + (a * g) @ a.conj().T
    gain = np.linalg.solve(sigma_y, a * g).conj().T  # Γ Aᴴ Σ_y⁻¹
    cov = np.diag(g) - gain @ (a * g)
    return gain @ y, np.real(np.diag(cov))


@pytest.mark.parametrize("method", SBL_FAMILY)
def test_posterior_variance_matches_the_dense_posterior(method, is_complex):
    rng = np.random.default_rng(7)
    f, _, y, nv = _problem(rng, 3, is_complex, noise=0.1)
    res = krosbl.recover(y, f, method, nv, max_iter=6)
    prior_var = res.details["prior_var"] if method == "pc-sbl" else res.gamma
    mean, var = _dense_posterior(krosbl.Kron(f).todense(), y, prior_var, nv, res.support)
    assert np.allclose(res.x_var[res.support], var, rtol=1e-8, atol=0)
    assert np.allclose(res.x[res.support], mean, rtol=1e-8, atol=1e-12 * np.abs(mean).max())
    pruned = np.setdiff1d(np.arange(res.x.size), res.support)
    assert np.all(res.x_var[pruned] == 0)
    assert np.all(res.x_var >= 0)


@pytest.mark.parametrize("method", SBL_FAMILY)
def test_posterior_variance_with_learned_noise_and_pruning(method):
    rng = np.random.default_rng(8)
    f, _, y, _ = _problem(rng, 2, True, noise=0.1)
    res = krosbl.recover(y, f, method, None, prune_ratio=0.05, max_iter=20)
    prior_var = res.details["prior_var"] if method == "pc-sbl" else res.gamma
    _, var = _dense_posterior(krosbl.Kron(f).todense(), y, prior_var, res.noise_var, res.support)
    assert np.allclose(res.x_var[res.support], var, rtol=1e-8, atol=0)


@pytest.mark.parametrize("c", [1e-3, 1e3])
@pytest.mark.parametrize("method", SBL_FAMILY)
def test_normalize_makes_every_sbl_method_scale_equivariant(method, c, is_complex):
    rng = np.random.default_rng(9)
    f, _, y, nv = _problem(rng, 3, is_complex)
    for noise_var in (nv, None):
        base = krosbl.recover(y, f, method, noise_var, normalize=True)
        scaled = krosbl.recover(
            c * y, f, method, None if noise_var is None else c**2 * noise_var, normalize=True
        )
        assert np.allclose(scaled.x, c * base.x, rtol=1e-10, atol=1e-10 * c * np.abs(base.x).max())
        assert scaled.noise_var == pytest.approx(c**2 * base.noise_var, rel=1e-10)
        assert np.allclose(scaled.x_var, c**2 * base.x_var, rtol=1e-10, atol=0)
        assert scaled.n_iter == base.n_iter


def test_without_normalize_the_start_depends_on_scale():
    rng = np.random.default_rng(10)
    f, _, y, nv = _problem(rng, 2, False)
    a = krosbl.recover(y, f, "svd-krosbl", nv, normalize=False, max_iter=3, tol=0.0)
    b = krosbl.recover(1e3 * y, f, "svd-krosbl", 1e6 * nv, normalize=False, max_iter=3, tol=0.0)
    assert not np.allclose(b.x, 1e3 * a.x, rtol=1e-6)


def test_estimators_expose_every_setting_as_a_parameter():
    for cls in (krosbl.SBL, krosbl.PCSBL, krosbl.AMKroSBL, krosbl.PCKroSBL, krosbl.KronOMP):
        params = cls().get_params()
        assert set(METHODS[cls._method].defaults) <= set(params)
    est = krosbl.PCKroSBL(beta=0.5, prune_ratio=0.05)
    assert "beta=0.5" in repr(est) and "prune_ratio=0.05" in repr(est)
    assert (
        "Parameters" in krosbl.PCKroSBL.__doc__ and "beta : default 0.8" in krosbl.PCKroSBL.__doc__
    )


def test_estimator_preset_base_with_overrides():
    rng = np.random.default_rng(11)
    f, _, y, nv = _problem(rng, 3, False)
    est = krosbl.AMKroSBL(noise_var=nv, settings="irs", max_iter=4, tol=0.0).fit(f, y)
    expected = krosbl.presets.get("irs", "am-krosbl", max_iter=4, tol=0.0)
    assert est.result_.settings == expected
    assert est.coef_var_ is not None and est.coef_var_.shape == est.coef_.shape


def test_grid_search_tunes_a_method_setting():
    """A scikit-learn grid over two settings: each point reaches the solver, and the search
    picks the one combination that recovers x (one sweep stops early; pruning at 0.9 of the
    largest variance keeps a single entry)."""
    from sklearn.model_selection import ParameterGrid

    rng = np.random.default_rng(12)
    f, x, y, nv = _problem(rng, 2, False)
    errors = {}
    for params in ParameterGrid({"prune_ratio": [1e-3, 0.9], "max_iter": [1, 150]}):
        est = krosbl.AMKroSBL(noise_var=nv).set_params(**params).fit(f, y)
        assert est.result_.settings.prune_ratio == params["prune_ratio"]
        assert est.result_.settings.max_iter == params["max_iter"] >= est.n_iter_
        errors[params["prune_ratio"], params["max_iter"]] = krosbl.metrics.nmse(est.coef_, x)
    best = min(errors, key=errors.__getitem__)
    assert best == (1e-3, 150) and errors[best] < 1e-3
    assert min(e for key, e in errors.items() if key != best) > 0.05


@pytest.mark.parametrize("method", list(METHODS))
def test_zero_y_result_carries_variances_like_a_solve(method):
    rng = np.random.default_rng(13)
    f, x, _, _ = _problem(rng, 2, False)
    support = np.flatnonzero(x) if METHODS[method].takes_support else None
    with pytest.warns(RuntimeWarning, match="all zeros"):
        res = krosbl.recover(np.zeros(16), f, method, support=support)
    assert (res.x_var is not None) == METHODS[method].variances
    if res.x_var is not None:
        assert res.x_var.shape == (25,) and not res.x_var.any()


@pytest.mark.parametrize("method", ["dkrosbl", "kron-omp", "omp"])
def test_history_and_callback_need_the_em_loop(method):
    rng = np.random.default_rng(14)
    f, _, y, nv = _problem(rng, 2, False)
    with pytest.raises(ValueError, match="has no EM iterations to record or call back"):
        krosbl.recover(y, f, method, nv, record_history=True)
    with pytest.raises(ValueError, match="has no EM iterations"):
        krosbl.recover(y, f, method, nv, callback=lambda *a: None)
