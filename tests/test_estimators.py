"""The scikit-learn-style estimators."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import kron_sparse, random_factors
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

import krosbl

ESTIMATORS = [
    krosbl.SBL,
    krosbl.PCSBL,
    krosbl.AMKroSBL,
    krosbl.SVDKroSBL,
    krosbl.PCKroSBL,
    krosbl.KSBL,
    krosbl.DKroSBL,
    krosbl.KronOMP,
    krosbl.OMP,
    krosbl.OracleLS,
]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_sklearn_parameter_checks(cls):
    est = cls()
    name = cls.__name__
    check_parameters_default_constructible(name, est)
    check_no_attributes_set_in_init(name, est)
    check_get_params_invariance(name, est)
    check_set_params(name, est)
    assert clone(est).get_params() == est.get_params()


def test_set_params_rejects_unknown():
    with pytest.raises(ValueError, match="invalid parameter 'foo'"):
        krosbl.SVDKroSBL().set_params(foo=1)


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (krosbl.SVDKroSBL, {"noise_var": 1e-8}),
        (krosbl.AMKroSBL, {"noise_var": 1e-8}),
        (krosbl.KSBL, {"noise_var": 1e-8}),
        (krosbl.PCKroSBL, {"noise_var": 1e-8, "beta": 0.5}),
        (krosbl.SBL, {"noise_var": 1e-8}),
        (krosbl.DKroSBL, {"noise_var": 1e-8}),
    ],
)
def test_fit_matches_recover(cls, kwargs, is_complex):
    rng = np.random.default_rng(0)
    f = random_factors(rng, (6, 6), (8, 8), is_complex)
    y = krosbl.Kron(f) @ kron_sparse(rng, (8, 8), 2, is_complex)
    est = cls(**kwargs).fit(f, y)
    res = krosbl.recover(y, f, cls._method, **kwargs)
    assert np.allclose(est.coef_, res.x)
    assert est.n_iter_ == res.n_iter
    assert np.allclose(est.predict(f), krosbl.Kron(f) @ res.x)
    fresh = clone(est)
    assert not hasattr(fresh, "coef_")
    with pytest.raises(AttributeError, match="not fitted"):
        fresh.predict(f)


def test_settings_override_through_estimator():
    rng = np.random.default_rng(1)
    f = random_factors(rng, (5, 5), (7, 7), False)
    y = krosbl.Kron(f) @ kron_sparse(rng, (7, 7), 2, False)
    est = krosbl.AMKroSBL(noise_var=0.1, max_iter=2, tol=0.0).fit(f, y)
    assert est.n_iter_ == 2 and est.result_.settings.max_iter == 2
    est.set_params(max_iter=4).fit(krosbl.Kron(f), y)
    assert est.n_iter_ == 4


def test_sbl_on_dense_matrix_learns_noise():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((40, 80))
    x = np.zeros(80)
    x[[5, 50, 70]] = [1.0, -1.5, 2.0]
    y = A @ x + 0.05 * rng.standard_normal(40)
    est = krosbl.SBL().fit(A, y)
    assert est.noise_var_ is not None and 0.0005 < est.noise_var_ < 0.02
    assert krosbl.metrics.nmse(est.coef_, x) < 0.05


def test_predict_before_fit_is_not_fitted_error():
    rng = np.random.default_rng(0)
    f = random_factors(rng, (4, 5), (6, 6), False)
    est = krosbl.SVDKroSBL(noise_var=1e-8)
    with pytest.raises(krosbl.NotFittedError, match="not fitted yet"):
        est.predict(f)
    assert issubclass(krosbl.NotFittedError, ValueError | AttributeError)
    x = kron_sparse(rng, (6, 6), 2, False)
    y = krosbl.Kron(f) @ x
    est.fit(f, y)
    assert np.allclose(est.predict(tuple(f)), est.predict(krosbl.Kron(f)))
