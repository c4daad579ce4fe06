"""The IRS model and metrics against the authors' fixtures (krosbl/reference/data/irs_p0*.npz)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ReferenceSolutions, reference_trial

from krosbl import Kron, irs
from krosbl.reference import FIXTURES_DIR

REFERENCE = FIXTURES_DIR
FIXTURES = ["irs_p01", "irs_p02", "irs_p03"]
GRID = 18
# Fixture tag → (method, settings overrides). The iteration caps are the fixtures' (README);
# the Kronecker solvers are compared with their `sym_` (Hermitian eigensolver) keys.
SOLVERS = {
    "sym_svd": ("svd-krosbl", {"max_iter": 5}),
    "sym_am": ("am-krosbl", {"max_iter": 5}),
    "sym_pc08": ("pc-krosbl", {"max_iter": 5, "beta": 0.8}),
    "sym_pc05": ("pc-krosbl", {"max_iter": 5, "beta": 0.5}),
    "csbl": ("sbl", {"max_iter": 2}),
    "pcsbl": ("pc-sbl", {"max_iter": 2}),
}


@pytest.fixture(scope="module", params=FIXTURES)
def ref(request):
    with np.load(REFERENCE / f"{request.param}.npz") as data:
        return dict(data)


def matlab_channels(columns: np.ndarray) -> np.ndarray:
    """(96, K2) MATLAB column-major vecs of 16 × 6 channels → (K2, 16, 6)."""
    return np.stack([columns[:, k].reshape(6, 16).T for k in range(columns.shape[1])])


def relerr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_fixture_sizes(ref):
    sizes = [
        int(ref[k]) for k in ("ms_ante", "bs_ante", "irs_ele", "Res1", "angle_spread", "K1", "K2")
    ]
    assert sizes == [6, 16, 256, 18, 3, 3, 6]


def test_dictionaries(ref):
    np.testing.assert_allclose(irs.array_dictionary(6, GRID), ref["A1"], atol=1e-13)
    np.testing.assert_allclose(irs.array_dictionary(16, GRID), ref["A2"], atol=1e-13)
    np.testing.assert_allclose(irs.array_dictionary(256, GRID), ref["A_irs_a"], atol=1e-13)
    np.testing.assert_allclose(irs.array_dictionary(256, GRID), ref["A_irs_d"], atol=1e-13)


def test_factors(ref):
    f1, f2, f3 = irs.build_factors(ref["irs_pattern"], ref["X"], 16, GRID)
    np.testing.assert_allclose(f1, ref["H_p1"], atol=1e-13)
    np.testing.assert_allclose(f2, ref["H_p2"], atol=1e-13)
    np.testing.assert_allclose(f3, ref["A2"], atol=1e-13)


def test_training_signals_are_scaled_signs(ref):
    np.testing.assert_allclose(np.abs(ref["irs_pattern"]), 1 / 16)
    np.testing.assert_allclose(np.abs(ref["X"].real), 1 / np.sqrt(12))
    np.testing.assert_allclose(np.abs(ref["X"].imag), 1 / np.sqrt(12))


def test_channels(ref):
    trial = reference_trial(ref)
    assert relerr(trial.H1, ref["H1"]) < 1e-12
    assert relerr(trial.H2, ref["H2"]) < 1e-12
    assert relerr(trial.H, matlab_channels(ref["Htrue"])) < 1e-12


def test_noiseless_measurement_and_truth(ref):
    trial = reference_trial(ref)
    factors = [ref["H_p1"], ref["H_p2"], ref["A2"]]
    assert relerr(Kron(factors) @ trial.z.ravel(), ref["y_noiseless"]) < 1e-12
    assert relerr(trial.y0, ref["y_noiseless"]) < 1e-12
    np.testing.assert_array_equal(trial.support, np.flatnonzero(ref["suppTrue"]))
    # The per-factor masks: gi is the IRS-difference axis, g1 the MS, g2 the BS.
    for axis, key in enumerate(("gi", "g1", "g2")):
        used = np.unique(np.unravel_index(trial.support, (GRID,) * 3)[axis])
        np.testing.assert_array_equal(used, np.flatnonzero(ref[key]))


def test_noise_variance(ref):
    trial = reference_trial(ref)
    assert trial.signal_power == pytest.approx(float(ref["signal_power"]), rel=1e-12)
    assert trial.noise_variance(float(ref["SNR"])) == pytest.approx(
        float(ref["noise_var"]), rel=1e-12
    )


@pytest.mark.parametrize("tag", list(SOLVERS))
def test_channel_nmse_of_stored_estimates(ref, tag):
    a_ms = irs.array_dictionary(6, GRID)
    h_hat = irs.rebuild_channels(ref[f"{tag}_mu_x"], ref["H_p1"], a_ms, ref["A2"])
    assert relerr(h_hat, matlab_channels(ref[f"{tag}_H_re"])) < 1e-12
    nmse = irs.channel_nmse(h_hat, matlab_channels(ref["Htrue"]))
    assert nmse == pytest.approx(float(ref[f"{tag}_nmse"]), rel=1e-6)
    per_pattern = ref[f"{tag}_nmse_per_pattern"]
    assert float(np.mean(per_pattern)) == pytest.approx(nmse, rel=1e-6)


@pytest.mark.parametrize("tag", list(SOLVERS))
@pytest.mark.parametrize("name", FIXTURES)
def test_estimate_reproduces_reference_solvers(
    reference_solutions: ReferenceSolutions, name: str, tag: str
) -> None:
    """irs.estimate wires factors, σ² and the IRS presets as the authors' IRS driver does.

    The estimate is the session's (conftest ``reference_solutions``: tests/test_reference.py
    compares the same solve with the fixture's stored outputs), so each row is solved once.
    """
    method, overrides = SOLVERS[tag]
    ref = reference_solutions.arrays(name)
    est = reference_solutions.estimate(name, tag.removeprefix("sym_"))
    trial = est.observation.trial
    assert est.method == method and est.observation.snr_db == float(ref["SNR"])
    assert est.result.settings == irs.irs_settings(method, float(ref["SNR"])).replace(**overrides)
    assert est.result.noise_var == float(ref["noise_var"]) and not est.result.noise_learned
    np.testing.assert_array_equal(est.observation.y, ref["y"])
    assert est.result.n_iter == int(ref[f"{tag}_n_iter"])
    assert relerr(est.z.ravel(), ref[f"{tag}_mu_x"]) < 1e-6
    assert relerr(est.H, matlab_channels(ref[f"{tag}_H_re"])) < 1e-6
    assert irs.channel_nmse(est, trial) == pytest.approx(float(ref[f"{tag}_nmse"]), rel=1e-6)
