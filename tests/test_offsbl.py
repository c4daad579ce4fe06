"""krosbl's offSBL against the authors' own runs (tests/data/offsbl), and on synthetic data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from krosbl import irs
from krosbl.decomposition import rank_one_split
from krosbl.irs.offsbl import OffSBLFactor, OffSBLFit, offsbl_estimate, offsbl_fit

DATA = Path(__file__).parent / "data" / "offsbl" / "offsbl_reduced.npz"
N_MS, N_BS, N_IRS = 6, 16, 256

# Tolerances against the authors' run (GNU Octave 7.3, their MATLAB code). Both sides run the
# same arithmetic in a different order (Octave's explicit inverse of Σ_y against a Cholesky
# solve here, other BLAS summation orders; the patterns here are rebuilt from their phases),
# so the iterates agree to rounding until the in-cell search meets a near-tie: each of its 9
# halving rounds picks one of two candidates, and when their costs agree to rounding either
# side may pick the other, which moves that angle by the round's step (cell/40 … cell/10240;
# the cell is 2/180 on the IRS side, 2/50 on the MS and BS sides) and the later iterations
# continue from there. Measured over all 8×4 reference solves: angles within 3.9e-5 (IRS),
# 1.9e-4 (MS), 2e-16 (BS); training NMSE within 0.014 dB and held-out NMSE within 0.029 dB;
# channels within -65 dB of the authors' (‖Ĥ − Ĥ_authors‖²/‖Ĥ_authors‖²). The bounds leave
# about 2.5× (IRS angles), 5× (MS, BS angles), 1.7× (NMSE) and 15 dB (channels) of margin:
# 1e-4 is 1 % of an IRS cell and 1.3 % of the IRS beam width 2/L, 1e-3 is 2.5 % of an MS/BS
# cell and 0.3 % of the MS beam width 2/N_m.
ANGLE_TOL = {"irs": 1e-4, "ms": 1e-3, "bs": 1e-3}
NMSE_TOL_DB = 0.05
CHANNEL_TOL_DB = -50.0
# The estimate's paths (atom combinations of gain >= 1e-6 of the largest) against the
# all-weights rebuild, on the held-out patterns (measured over all 32 reference
# solves: -82 dB or better).
PATHS_TOL_DB = -60.0


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """offSBL is thousands of tiny products: BLAS threads only wait on each other."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def runs() -> dict[str, np.ndarray]:
    with np.load(DATA) as f:
        return {k: f[k] for k in f.files}


def _patterns(phase: np.ndarray) -> np.ndarray:
    return np.exp(1j * phase) / np.sqrt(N_IRS)


def _true_channels(runs: dict[str, np.ndarray], i: int, patterns: np.ndarray) -> np.ndarray:
    """The trial's ``H_k`` (K, N_b, N_m) from its angles and gains, through krosbl's Paths."""
    gains = np.sqrt(N_BS * N_IRS * N_MS * N_IRS) * runs["alpha_ib"][i] * runs["alpha_mi"][i]
    paths = irs.Paths(
        irs=runs["AoD_irs"][i] - runs["AoA_irs"][i],
        ms=np.full(3, runs["AoD_ms"][i]),
        bs=np.full(3, runs["AoA_bs"][i]),
        gains=gains,
    )
    return paths.channels(patterns, n_ms=N_MS, n_bs=N_BS)


def _factor(grid: np.ndarray, weights: np.ndarray) -> OffSBLFactor:
    return OffSBLFactor(grid, weights, np.abs(weights) ** 2, grid[:1], 0.0, 0, True)


def _measurement(y: np.ndarray, patterns: np.ndarray, pilots: np.ndarray) -> irs.Measurement:
    return irs.Measurement(irs.System(pilots, patterns, N_BS), y)


def _midpoints(size: int) -> np.ndarray:
    return irs.grid_angles(size) + 1.0 / size


def _db(x: float) -> float:
    return float(10 * np.log10(x))


CASES = [(i, s) for i in range(4) for s in range(4)]


@pytest.mark.parametrize(("i", "s"), CASES, ids=[f"trial{i}-snr{s}" for i, s in CASES])
def test_reproduces_the_authors_run(runs: dict[str, np.ndarray], i: int, s: int) -> None:
    psi = _patterns(runs["irs_phase"][i])
    fresh = _patterns(runs["irs_fresh_phase"][i])
    est = offsbl_estimate(_measurement(runs["y"][i, s], psi, runs["X"][i]))
    fit = est.result.details["fit"]

    for k, name in enumerate(("irs", "ms", "bs"), start=1):
        theirs = runs[f"angles_offSBL_{k}"][i, s]
        np.testing.assert_allclose(getattr(fit, name).angles, theirs, rtol=0, atol=ANGLE_TOL[name])

    ours = irs.channel_nmse(est.H, _true_channels(runs, i, psi))
    assert abs(_db(ours) - _db(runs["nmse_offSBL"][i, s])) < NMSE_TOL_DB
    h_fresh = fit.channels(fresh)
    ours_fresh = irs.channel_nmse(h_fresh, _true_channels(runs, i, fresh))
    assert abs(_db(ours_fresh) - _db(runs["nmse_fresh_offSBL"][i, s])) < NMSE_TOL_DB

    # The authors' channel, rebuilt from their refined grids and weights.
    theirs = OffSBLFit(
        *(_factor(runs[f"grid_offSBL_{k}"][i, s], runs[f"x_offSBL_{k}"][i, s]) for k in (1, 2, 3)),
        n_ms=N_MS,
        n_bs=N_BS,
    ).channels(psi)
    rel = np.linalg.norm(est.H - theirs) ** 2 / np.linalg.norm(theirs) ** 2
    assert _db(rel) < CHANNEL_TOL_DB

    # The estimate's paths rebuild the held-out channels as the weights do.
    h_paths = est.paths.channels(fresh, n_ms=N_MS, n_bs=N_BS)
    assert _db(np.linalg.norm(h_paths - h_fresh) ** 2 / np.linalg.norm(h_fresh) ** 2) < PATHS_TOL_DB


def test_split_is_the_authors_decompose(runs: dict[str, np.ndarray]) -> None:
    """rank_one_split on krosbl's layout = decompose.m on the column-major one, up to phases."""
    y = runs["y"][0, 3]
    split = rank_one_split(y, y.shape)
    authors = y.transpose(2, 1, 0).reshape(-1, order="F")  # their vec([vec(Y_1) … vec(Y_K2)])
    u, sv, vh = np.linalg.svd(authors.reshape(N_BS * 20, 40, order="F").T)
    rest = (sv[0] * vh[0]).reshape(N_BS, 20, order="F").T  # s·conj(v), MATLAB's V = vhᴴ
    u2, s2, vh2 = np.linalg.svd(rest)
    theirs = [u[:, 0], u2[:, 0], s2[0] * vh2[0]]
    for ours, ref in zip(split.factors, theirs):
        phase = np.vdot(ours, ref) / abs(np.vdot(ours, ref))
        np.testing.assert_allclose(ours * phase, ref, atol=1e-12)
    np.testing.assert_allclose(
        np.einsum("k,t,b->ktb", *split.factors),
        np.einsum("k,t,b->ktb", *theirs),
        atol=1e-12,
    )


def _synthetic(rng: np.random.Generator) -> tuple[irs.Paths, np.ndarray, np.ndarray]:
    u = np.array([-0.43, -0.3071, -0.2113])  # θ_a − θ_d, off the 180-point grid
    paths = irs.Paths(
        irs=-u,
        ms=np.full(3, 0.4123),
        bs=np.full(3, 0.2571),
        gains=40 * np.array([1.0, -0.8 + 0.3j, 0.6j]),
    )
    psi = _patterns(2 * np.pi * rng.random((N_IRS, 40)))
    pilots = (rng.choice([-1, 1], (N_MS, 20)) + 1j * rng.choice([-1, 1], (N_MS, 20))) / np.sqrt(12)
    return paths, psi, pilots


def test_noiseless_recovery() -> None:
    rng = np.random.default_rng(3)
    paths, psi, pilots = _synthetic(rng)
    h = paths.channels(psi, n_ms=N_MS, n_bs=N_BS)
    est = offsbl_estimate(_measurement(np.einsum("kbn,nt->ktb", h, pilots), psi, pilots))
    fit = est.result.details["fit"]
    np.testing.assert_allclose(fit.irs.angles, np.sort(-paths.irs), atol=1e-4)
    np.testing.assert_allclose(
        est.result.details["factor_angles"][0], np.sort(paths.irs), atol=1e-4
    )
    np.testing.assert_allclose(fit.ms.angles, paths.ms[:1], atol=1e-4)
    np.testing.assert_allclose(fit.bs.angles, paths.bs[:1], atol=1e-4)
    assert irs.channel_nmse(est.H, h) < 1e-4
    fresh = _patterns(2 * np.pi * rng.random((N_IRS, 40)))
    h_fresh = paths.channels(fresh, n_ms=N_MS, n_bs=N_BS)
    assert irs.channel_nmse(fit.channels(fresh), h_fresh) < 1e-3
    assert irs.channel_nmse(est.paths.channels(fresh, n_ms=N_MS, n_bs=N_BS), h_fresh) < 1e-3
    # The reported paths alone (3 IRS × 1 × 1) carry the channel as well.
    top = est.result.details["top_paths"]
    assert len(top) == 3
    np.testing.assert_allclose(np.sort(top.irs), np.sort(paths.irs), atol=1e-4)
    assert irs.channel_nmse(top.channels(fresh, n_ms=N_MS, n_bs=N_BS), h_fresh) < 1e-2
    assert est.method == "offsbl" and est.z is None and est.result.noise_learned
    assert est.result.n_iter == fit.irs.iterations + fit.ms.iterations + fit.bs.iterations
    np.testing.assert_array_equal(est.result.x, est.paths.gains)


def test_estimate_dispatches_offsbl() -> None:
    """``irs.estimate(measurement, "offsbl")`` is the direct call; bad arguments are named."""
    paths, psi, pilots = _synthetic(np.random.default_rng(5))
    h = paths.channels(psi, n_ms=N_MS, n_bs=N_BS)
    y = np.einsum("kbn,nt->ktb", h, pilots)
    y = y + 0.01 * np.random.default_rng(6).standard_normal(y.shape)
    measurement = _measurement(y, psi, pilots)
    assert "offsbl" in irs.irs_methods()
    settings = {"n_paths": (2, 1, 1), "max_iter": 30}
    direct = offsbl_estimate(measurement, **settings)
    via = irs.estimate(measurement, "offsbl", **settings)
    np.testing.assert_array_equal(via.H, direct.H)
    np.testing.assert_array_equal(via.paths.gains, direct.paths.gains)
    assert via.result.n_iter == direct.result.n_iter and via.method == "offsbl"
    with pytest.raises(ValueError, match=r"n_paths must have 3 entries \(IRS, MS, BS\)"):
        irs.estimate(measurement, "offsbl", n_paths=(3, 1))
    with pytest.raises(ValueError, match=r"grid_sizes\[1\] must be >= 1"):
        irs.estimate(measurement, "offsbl", grid_sizes=(180, 0, 50))
    with pytest.raises(TypeError, match="oversampling"):
        irs.estimate(measurement, "offsbl", oversampling=(4, 8, 8))
    with pytest.raises(TypeError, match=r"krosbl\.irs\.Measurement"):
        offsbl_estimate(y)  # type: ignore[arg-type]


def test_fit_one_factor_off_grid() -> None:
    """offsbl_fit on a bare 1-D array problem: two off-grid sources, the peaks refined."""
    truth = np.array([-0.3013, 0.2207])
    y = irs.array_response(16, truth) @ np.array([1.0, 0.7j])
    fit = offsbl_fit(y, lambda t: irs.array_response(16, t), _midpoints(50), n_paths=2, n_peaks=2)
    np.testing.assert_allclose(fit.angles, truth, atol=1e-4)
    assert fit.converged and fit.grid.shape == (50,) and fit.weights.shape == (50,)


def test_fit_bad_grid() -> None:
    y = np.ones(16, dtype=complex)
    with pytest.raises(ValueError, match="grid must be ascending"):
        offsbl_fit(y, lambda t: irs.array_response(16, t), [0.1, 0.0, 0.2], n_paths=1, n_peaks=1)
    with pytest.raises(ValueError, match=r"atoms\(grid\) must have shape"):
        offsbl_fit(y, lambda t: irs.array_response(8, t), _midpoints(10), n_paths=1, n_peaks=1)
