"""``krosbl.recover``: input validation, dtype handling, settings and the result object."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import kron_sparse, random_factors

import krosbl
from krosbl.priors import FlatPrior


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    f = random_factors(rng, (4, 5), (6, 6), False)
    x = kron_sparse(rng, (6, 6), 2, False)
    return f, krosbl.Kron(f) @ x, x


def test_unknown_method_lists_valid(problem):
    f, y, _ = problem
    with pytest.raises(ValueError, match=r"valid methods are .*svd-krosbl"):
        krosbl.recover(y, f, "magic")


def test_mismatched_shapes(problem):
    f, y, _ = problem
    with pytest.raises(ValueError, match="y has length 19 but the dictionary has 20 rows"):
        krosbl.recover(y[:-1], f, "svd-krosbl", 0.1)
    with pytest.raises(ValueError, match=r"snapshots are the columns of y.*\(20\)"):
        krosbl.recover(np.ones((4, 5)), f, "svd-krosbl", 0.1)
    with pytest.raises(ValueError, match="1-D"):
        krosbl.recover(np.ones((4, 5, 2)), f, "svd-krosbl", 0.1)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs(problem, bad):
    f, y, _ = problem
    y_bad = y.copy()
    y_bad[3] = bad
    with pytest.raises(ValueError, match="y contains NaN or infinite"):
        krosbl.recover(y_bad, f, "am-krosbl", 0.1)
    f_bad = [f[0].copy(), f[1]]
    f_bad[0][1, 1] = bad
    with pytest.raises(ValueError, match="factor 0 of the dictionary contains NaN"):
        krosbl.recover(y, f_bad, "am-krosbl", 0.1)
    dense = np.kron(*f)
    dense[0, 0] = bad
    with pytest.raises(ValueError, match="dictionary contains NaN"):
        krosbl.recover(y, dense, "sbl", 0.1)


@pytest.mark.parametrize("noise_var", [0.0, -1.0, np.nan, np.inf])
def test_bad_noise_var(problem, noise_var):
    f, y, _ = problem
    with pytest.raises(ValueError, match="noise_var must be finite and > 0"):
        krosbl.recover(y, f, "svd-krosbl", noise_var)
    with pytest.raises(TypeError, match="noise_var"):
        krosbl.recover(y, f, "svd-krosbl", "0.1")


def test_empty_factors(problem):
    _, y, _ = problem
    with pytest.raises(ValueError, match="empty"):
        krosbl.recover(y, [], "svd-krosbl", 0.1)
    with pytest.raises(ValueError, match="empty"):
        krosbl.recover(y, [np.ones((4, 0)), np.ones((5, 6))], "svd-krosbl", 0.1)


def test_dense_matrix_for_kronecker_method(problem):
    f, y, _ = problem
    with pytest.raises(ValueError, match="needs the Kronecker factors"):
        krosbl.recover(y, np.kron(*f), "am-krosbl", 0.1)


def test_all_zero_y_returns_zeros_and_says_so(problem):
    f, _, _ = problem
    with pytest.warns(RuntimeWarning, match="all zeros"):
        res = krosbl.recover(np.zeros(20), f, "svd-krosbl", 0.1)
    assert not np.any(res.x) and res.x.shape == (36,)
    assert "all zeros" in res.message


def test_real_dictionary_complex_measurements(problem):
    f, y, x = problem
    rng = np.random.default_rng(1)
    phase = np.exp(1j * 0.3)
    yc = y * phase + 1e-3 * (rng.standard_normal(20) + 1j * rng.standard_normal(20))
    for method in ("svd-krosbl", "am-krosbl", "sbl", "dkrosbl"):
        res = krosbl.recover(yc, f, method, 1e-5)
        assert np.iscomplexobj(res.x)
        assert krosbl.metrics.nmse(res.x, x * phase) < 1e-2
    for dense_method in ("sbl", "pc-sbl"):  # real dense matrix, complex data, both forms
        res = krosbl.recover(yc, np.kron(*f), dense_method, 1e-5)
        assert np.iscomplexobj(res.x)
        assert krosbl.metrics.nmse(res.x, x * phase) < 1e-2


def test_settings_overrides_and_errors(problem):
    f, y, _ = problem
    res = krosbl.recover(y, f, "svd-krosbl", 0.1, max_iter=3, tol=0.0)
    assert res.n_iter == 3 and res.settings.max_iter == 3
    with pytest.raises(TypeError, match=r"does not read setting\(s\) \['max_iterations'\]"):
        krosbl.recover(y, f, "svd-krosbl", 0.1, max_iterations=3)
    with pytest.raises(TypeError, match="'max_iter' must be an integer"):
        krosbl.recover(y, f, "svd-krosbl", 0.1, max_iter=2.5)
    with pytest.raises(ValueError, match="'tol' must be finite"):
        krosbl.recover(y, f, "svd-krosbl", 0.1, tol=-1.0)
    with pytest.raises(ValueError, match="unknown preset"):
        krosbl.recover(y, f, "svd-krosbl", 0.1, settings="nope")
    with pytest.raises(ValueError, match="2 factors"):
        krosbl.recover(y, f, "svd-krosbl", 0.1, prune_ratio=(0.1, 0.1, 0.1))
    # NumPy scalars are numbers like any other, and are stored as Python numbers
    res = krosbl.recover(y, f, "svd-krosbl", 0.1, max_iter=np.int64(2), tol=np.float32(0))
    assert res.n_iter == 2 and type(res.settings.max_iter) is int


@pytest.mark.parametrize(
    ("method", "field", "value", "message"),
    [
        ("sbl", "prune_ratio", 1.0, r"'prune_ratio' must be finite and in \[0, 1\)"),
        ("pc-krosbl", "beta", 1.5, r"'beta' must be finite and in \[0, 1\]"),
        ("pc-sbl", "pc_eta", 3.0, r"'pc_eta' must be finite and in \[0, 1\]"),
        ("pc-sbl", "pc_b", 0.0, r"'pc_b' must be finite and in \(0, inf\)"),
        ("pc-krosbl", "coupled", (0, 0), "'coupled' names a factor twice"),
        ("kron-omp", "sparsity", 0, "'sparsity' must be >= 1"),
    ],
)
def test_settings_outside_their_range(method, field, value, message):
    with pytest.raises(ValueError, match=message):
        krosbl.SolverSettings(method, **{field: value})


def test_pruning_everything_is_an_error(problem):
    f, y, _ = problem
    with pytest.raises(FloatingPointError, match="pruning removed every entry of factor 0"):
        krosbl.recover(y, f, "svd-krosbl", 0.1, prune_abs=1e30)
    flat = FlatPrior(np.zeros(5))  # every variance at zero: nothing passes r · max γ
    with pytest.raises(FloatingPointError, match="pruning removed every entry of γ"):
        flat.prune([1e-3], 0.0)


@pytest.mark.parametrize("method", ["svd-krosbl", "am-krosbl", "ksbl", "sbl", "pc-sbl"])
@pytest.mark.parametrize("scale", [1e150, 1e200])
def test_a_solve_that_leaves_floating_point_is_an_error(method, scale):
    rng = np.random.default_rng(2)
    f = random_factors(rng, (4, 5), (6, 6), False)
    y = krosbl.Kron(f) @ kron_sparse(rng, (6, 6), 2, False)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="rescale them"):
        krosbl.recover(y, [a * scale for a in f], method, None)


def test_oracle_ls_needs_support(problem):
    f, y, x = problem
    with pytest.raises(ValueError, match="oracle least squares needs a support"):
        krosbl.recover(y, f, "oracle-ls")
    with pytest.raises(ValueError, match="oracle least squares needs a support"):
        krosbl.recover(np.zeros_like(y), f, "oracle-ls")
    with pytest.raises(ValueError, match="support= is used by method 'oracle-ls' only"):
        krosbl.recover(y, f, "svd-krosbl", 0.1, support=np.flatnonzero(x))
    with pytest.raises(ValueError):
        krosbl.recover(y, f, "oracle-ls", support=[0, 99])
    res = krosbl.recover(y, f, "oracle-ls", support=np.flatnonzero(x))
    assert np.allclose(res.x, x)


def test_omp_more_atoms_than_measurements(problem):
    f, y, _ = problem
    with pytest.raises(ValueError, match="exceeds the number of measurements"):
        krosbl.recover(y, f, "omp", max_atoms=21)


def test_methods_listing():
    names = krosbl.available_methods()
    assert set(names) == {
        "sbl",
        "pc-sbl",
        "am-krosbl",
        "svd-krosbl",
        "pc-krosbl",
        "ksbl",
        "dkrosbl",
        "kron-omp",
        "omp",
        "oracle-ls",
    }
    assert all(isinstance(v, str) and v for v in names.values())


def test_krosbl_methods_is_the_registry_subpackage():
    import krosbl.methods as registry

    assert registry is krosbl.methods
    assert registry.__name__ == "krosbl.methods" and "dkrosbl" in registry.METHODS


def test_memory_estimate_scales_and_fits_target():
    big = [np.zeros((50, 100))] * 3
    est = krosbl.memory_estimate(big, "svd-krosbl")
    assert 8 * 10**6 < est < 2 * 2**30
    assert krosbl.memory_estimate(big, "sbl") > 100 * est


def test_presets_cover_every_row():
    from krosbl import presets

    names = presets.names()
    assert ("irs", "pc-krosbl") in names and ("convergence-pruning", "ksbl") in names
    with pytest.raises(ValueError, match="has no settings for method"):
        presets.get("rank", "pc-sbl")
    assert presets.get("irs", "svd-krosbl").prune_ratio == 0.0
    assert presets.get("irs-high-snr", "svd-krosbl").prune_ratio == 1e-3


def test_memory_estimate_reads_only_shapes():
    factors = [np.full((5, 8), np.nan)] * 3  # values are never read
    assert krosbl.memory_estimate(factors, "svd-krosbl") > 0
    with pytest.raises(ValueError, match="unknown method"):
        krosbl.memory_estimate(factors, "magic")
