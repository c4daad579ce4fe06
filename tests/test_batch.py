"""recover_batch: many problems in one call equal the one-at-a-time solves."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import kron_sparse, random_factors

import krosbl
from krosbl.linalg import kron_distance
from krosbl.operators import Kron, multi_mode_product

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

BATCHED = ["svd-krosbl", "am-krosbl", "ksbl", "pc-krosbl"]
IN_SHAPE, OUT_SHAPE = (8, 7, 9), (6, 5, 7)


def _problems(seed: int, complex_: bool, size: int = 4, per_problem: bool = False):
    rng = np.random.default_rng(seed)
    count = size if per_problem else 1
    dictionaries = [random_factors(rng, OUT_SHAPE, IN_SHAPE, complex_) for _ in range(count)]
    Y = []
    for b in range(size):
        x = kron_sparse(rng, IN_SHAPE, 2 + b % 2, complex_, block=b % 2 == 1)
        y = Kron(dictionaries[b % count]) @ x
        Y.append(y + 0.01 * rng.standard_normal(y.shape))
    return np.array(Y), dictionaries if per_problem else dictionaries[0]


def _assert_same(batch: krosbl.Result, alone: krosbl.Result, rtol: float = 1e-10) -> None:
    """``x`` to ``rtol`` in norm; the other outputs to ``3 rtol``: after 40 iterations a 1-ulp
    perturbation of ``y`` alone moves the learned ``σ²`` of these problems by up to 7e-11."""
    scale = np.linalg.norm(alone.x)
    assert batch.n_iter == alone.n_iter
    assert batch.converged == alone.converged
    np.testing.assert_array_equal(batch.support, alone.support)
    assert np.linalg.norm(batch.x - alone.x) <= rtol * scale
    assert batch.x_var is not None and alone.x_var is not None
    assert alone.gamma is not None  # x_var = γ − shrinkage cancels: compare on the scale of γ
    rtol *= 3
    np.testing.assert_allclose(batch.x_var, alone.x_var, rtol=rtol, atol=rtol * alone.gamma.max())
    np.testing.assert_allclose(batch.noise_var, alone.noise_var, rtol=rtol)
    np.testing.assert_allclose(batch.cost, alone.cost, atol=rtol * np.abs(alone.cost).max())
    for g_batch, g_alone in zip(batch.gammas or [], alone.gammas or []):
        np.testing.assert_allclose(g_batch, g_alone, rtol=rtol, atol=rtol * g_alone.max())


@pytest.mark.parametrize("method", BATCHED)
@pytest.mark.parametrize("noise", ["learned", "shared", "per-problem"])
def test_batch_equals_one_at_a_time(method: str, noise: str, is_complex: bool) -> None:
    Y, A = _problems(1, is_complex)
    noise_var = {"learned": None, "shared": 1e-4, "per-problem": [1e-4, 2e-4, 5e-5, 1e-3]}[noise]
    known = noise_var if isinstance(noise_var, list) else [noise_var] * len(Y)
    batch = krosbl.recover_batch(Y, A, method, noise_var, max_iter=40)
    for b, y in enumerate(Y):
        _assert_same(batch[b], krosbl.recover(y, A, method, known[b], max_iter=40))


@pytest.mark.parametrize("method", ["svd-krosbl", "pc-krosbl"])
def test_per_problem_dictionaries(method: str, is_complex: bool) -> None:
    Y, dictionaries = _problems(2, is_complex, size=3, per_problem=True)
    batch = krosbl.recover_batch(Y, [Kron(f) for f in dictionaries], method, 1e-4, max_iter=40)
    for y, f, result in zip(Y, dictionaries, batch):
        _assert_same(result, krosbl.recover(y, f, method, 1e-4, max_iter=40))


def test_each_problem_stops_and_prunes_on_its_own() -> None:
    Y, A = _problems(3, False, size=5)
    batch = krosbl.recover_batch(Y, A, "am-krosbl", 1e-4)
    alone = [krosbl.recover(y, A, "am-krosbl", 1e-4) for y in Y]
    assert len({r.n_iter for r in alone}) > 1
    assert len({len(r.support) for r in alone}) > 1
    for b, a in zip(batch, alone):
        _assert_same(b, a, rtol=1e-8)


def test_sweep_details_per_problem() -> None:
    Y, A = _problems(4, True)
    batch = krosbl.recover_batch(Y, A, "pc-krosbl", 1e-4, settings="irs", max_iter=30)
    for y, result in zip(Y, batch):
        alone = krosbl.recover(y, A, "pc-krosbl", 1e-4, settings="irs", max_iter=30)
        assert result.details["n_sweeps"] == alone.details["n_sweeps"]
        assert result.details["uncoupled"].keys() == alone.details["uncoupled"].keys()
        for i, g in alone.details["uncoupled"].items():
            np.testing.assert_allclose(result.details["uncoupled"][i], g, atol=1e-10 * g.max())


@pytest.mark.parametrize(("method", "options"), [("sbl", {}), ("omp", {}), ("kron-omp", {})])
def test_methods_without_a_batched_form_solve_one_by_one(method: str, options: dict) -> None:
    Y, A = _problems(5, False, size=2)
    dense = np.kron(np.kron(*A[:2]), A[2])
    arg = A if method == "kron-omp" else dense
    batch = krosbl.recover_batch(Y, arg, method, 1e-4, **options)
    for y, result in zip(Y, batch):
        np.testing.assert_array_equal(result.x, krosbl.recover(y, arg, method, 1e-4).x)


def test_noiseless_settings_solve_one_by_one() -> None:
    Y, A = _problems(6, False, size=2)
    batch = krosbl.recover_batch(Y, A, "svd-krosbl", noiseless=True, max_iter=20)
    for y, result in zip(Y, batch):
        alone = krosbl.recover(y, A, "svd-krosbl", noiseless=True, max_iter=20)
        np.testing.assert_array_equal(result.x, alone.x)


def test_learned_and_known_noise_mixed() -> None:
    Y, A = _problems(7, False, size=3)
    batch = krosbl.recover_batch(Y, A, "svd-krosbl", [None, 1e-4, None], max_iter=30)
    for y, nv, result in zip(Y, [None, 1e-4, None], batch):
        _assert_same(result, krosbl.recover(y, A, "svd-krosbl", nv, max_iter=30))
    assert [r.noise_learned for r in batch] == [True, False, True]


def test_zero_row_gets_the_zero_result() -> None:
    Y, A = _problems(8, False, size=3)
    Y[1] = 0.0
    with pytest.warns(RuntimeWarning, match="all zeros"):
        batch = krosbl.recover_batch(Y, A, "svd-krosbl", 1e-4, max_iter=30)
    assert not batch[1].x.any() and batch[1].n_iter == 0
    _assert_same(batch[2], krosbl.recover(Y[2], A, "svd-krosbl", 1e-4, max_iter=30))


@pytest.mark.parametrize(
    ("Y", "A", "noise_var", "error", "match"),
    [
        (np.ones(210), None, None, ValueError, "2-D array"),
        ([np.ones(210), np.ones(209)], None, None, ValueError, "different lengths"),
        (np.ones((2, 210)), None, [1.0], ValueError, "1 entries for 2 problems"),
        (np.ones((2, 210)), None, [1.0, -1.0], ValueError, "problem 1: noise_var"),
        (np.ones((2, 209)), None, None, ValueError, "problem 0"),
        (np.ones((2, 210)), "two", None, ValueError, "A has 1 dictionaries"),
    ],
)
def test_bad_input_names_the_problem(Y, A, noise_var, error, match) -> None:
    factors = random_factors(np.random.default_rng(0), OUT_SHAPE, IN_SHAPE, False)
    if isinstance(A, str):
        A = [Kron(factors)]
    with pytest.raises(error, match=match):
        krosbl.recover_batch(Y, factors if A is None else A, "svd-krosbl", noise_var)


def test_nan_names_the_problem() -> None:
    Y, A = _problems(9, False, size=3)
    Y[2, 4] = np.nan
    with pytest.raises(ValueError, match="problem 2"):
        krosbl.recover_batch(Y, A, "am-krosbl")


def test_dictionaries_of_different_shapes_are_refused() -> None:
    rng = np.random.default_rng(0)
    small = random_factors(rng, (2, 3), (4, 4), False)
    other = random_factors(rng, (3, 2), (4, 4), False)
    with pytest.raises(ValueError, match="differ in shape"):
        krosbl.recover_batch(np.ones((2, 6)), [Kron(small), Kron(other)], "svd-krosbl")


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        krosbl.recover_batch(np.ones((1, 4)), [np.eye(2)] * 2, "nope")


def test_pruning_everything_names_the_problem() -> None:
    Y, A = _problems(10, False, size=2)
    with pytest.raises(FloatingPointError, match="problem 0"):
        krosbl.recover_batch(Y, A, "svd-krosbl", 1e-4, prune_abs=1e300)


@pytest.mark.parametrize("sizes", [(3, 4, 2), (50, 40, 41)])  # direct form, then recursion
def test_kron_distance_of_stacked_rows_matches_each_row(sizes: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    a = [rng.random((5, n)) for n in sizes]
    b = [x * (1 + 1e-3 * rng.standard_normal(x.shape)) for x in a]
    b[0][2] = 0.0
    for relative in (False, True):
        expected = [
            kron_distance([x[r] for x in a], [x[r] for x in b], relative=relative) for r in range(5)
        ]
        np.testing.assert_allclose(kron_distance(a, b, relative=relative), expected, rtol=1e-9)


def test_stacked_mode_products_match_a_loop(is_complex: bool) -> None:
    rng = np.random.default_rng(1)
    tensors = rng.standard_normal((4, 3, 5, 2))
    mats = random_factors(rng, (6, 2, 4), (3, 5, 2), is_complex)
    stacked = [np.stack([m * (b + 1) for b in range(4)]) for m in mats]
    shared = multi_mode_product(tensors, [m[None] for m in mats])
    own = multi_mode_product(tensors, stacked)
    for b in range(4):
        np.testing.assert_allclose(shared[b], multi_mode_product(tensors[b], mats), atol=1e-12)
        scaled = [m * (b + 1) for m in mats]
        np.testing.assert_allclose(own[b], multi_mode_product(tensors[b], scaled), atol=1e-10)


def test_batch_results_do_not_depend_on_the_batch() -> None:
    Y, A = _problems(11, True, size=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        whole = krosbl.recover_batch(Y, A, "am-krosbl", 1e-4, max_iter=40)
        halves = krosbl.recover_batch(Y[:2], A, "am-krosbl", 1e-4, max_iter=40)
    halves += krosbl.recover_batch(Y[2:], A, "am-krosbl", 1e-4, max_iter=40)
    for a, b in zip(whole, halves):
        _assert_same(a, b)


@pytest.mark.parametrize("options", [{}, {"refine": True, "refine_iter": 5}, {"prune_ratio": None}])
@pytest.mark.parametrize("noise_var", [None, 1e-4])
def test_dkrosbl_batch_equals_one_at_a_time(options: dict, noise_var, is_complex: bool) -> None:
    rng = np.random.default_rng(12)
    factors = random_factors(rng, OUT_SHAPE, IN_SHAPE, is_complex)
    X = [kron_sparse(rng, IN_SHAPE, 2, is_complex) for _ in range(4)]
    Y = np.array([Kron(factors) @ x for x in X]) + 0.01 * rng.standard_normal((4, 210))
    batch = krosbl.recover_batch(Y, factors, "dkrosbl", noise_var, **options)
    for y, result in zip(Y, batch):
        alone = krosbl.recover(y, factors, "dkrosbl", noise_var, **options)
        assert result.details["factor_iterations"] == alone.details["factor_iterations"]
        np.testing.assert_array_equal(result.support, alone.support)
        assert np.linalg.norm(result.x - alone.x) <= 1e-10 * np.linalg.norm(alone.x)
        # a learned σ² of the refinement moves by up to 7e-10 here (rounding of its start)
        np.testing.assert_allclose(result.noise_var, alone.noise_var, rtol=1e-9)


def test_dkrosbl_batch_per_problem_dictionaries() -> None:
    Y, dictionaries = _problems(13, True, size=3, per_problem=True)
    batch = krosbl.recover_batch(Y, dictionaries, "dkrosbl", 1e-4)
    for y, f, result in zip(Y, dictionaries, batch):
        alone = krosbl.recover(y, f, "dkrosbl", 1e-4)
        assert np.linalg.norm(result.x - alone.x) <= 1e-10 * np.linalg.norm(alone.x)


@pytest.mark.parametrize("method", ["dkrosbl", "svd-krosbl"])
def test_irs_estimate_batch_equals_estimate(method: str) -> None:
    from krosbl import irs

    scenario = irs.Scenario.paper()
    small = irs.Scenario(**{**scenario.__dict__, "n_bs": 8, "grid": 8, "n_irs": 64})
    trial = irs.Run(small, seed=3).trial(0)
    observations = [trial.observe(snr, rng=np.random.default_rng(1)) for snr in (4.0, 12.0)]
    settings = irs.irs_settings(method, 4.0)
    batch = irs.estimate_batch(observations, method, settings=settings)
    for obs, est in zip(observations, batch):
        alone = irs.estimate(obs, method, settings=settings)
        assert np.linalg.norm(est.H - alone.H) <= 1e-10 * np.linalg.norm(alone.H)
        assert irs.symbol_error_rate(est, trial, obs.snr_db, rng=5) == irs.symbol_error_rate(
            alone, trial, obs.snr_db, rng=5
        )
    with pytest.raises(ValueError, match="one observation at a time"):
        irs.estimate_batch(observations, "offgrid")
    other = irs.Run(small, seed=4).trial(0).observe(4.0, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="one system"):
        irs.estimate_batch([observations[0], other], method)


WITHOUT_NUMBA = """
import sys
sys.modules["numba"] = None  # import numba now raises ImportError, as where it is missing
import numpy as np
import krosbl
rng = np.random.default_rng(0)
factors = [rng.standard_normal((4, 6)), rng.standard_normal((5, 6))]
Y = rng.standard_normal((2, 20))
for solve in (krosbl.recover_batch, lambda Y, *a, **k: krosbl.recover(Y[0], *a, **k)):
    try:
        solve(Y, factors, "am-krosbl", 1e-2, kernel="numba")
    except ImportError as exc:
        print("ImportError:", exc)
"""


def test_the_numba_kernel_without_numba_is_an_error_naming_the_extra() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_NUMBA], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == ["ImportError: kernel='numba' needs Numba: pip install 'krosbl[fast]'"] * 2
