"""Symbol error rate (theory-ser): QPSK theory with the true channel, and the invariances."""

from __future__ import annotations

import time
from math import erfc

import numpy as np
import pytest

from krosbl import irs

N_SYMBOLS = 100_000


def _qpsk_theory(snr_db: float) -> float:
    """``2Q(√SNR) − Q(√SNR)²`` written from :func:`math.erfc`, independently of krosbl."""
    q = 0.5 * erfc(np.sqrt(10 ** (snr_db / 10)) / np.sqrt(2))
    return 2 * q - q**2


@pytest.fixture(scope="module")
def trial() -> irs.Trial:
    return irs.Run(irs.Scenario.paper(), seed=17).trial(0)


@pytest.mark.parametrize("snr_db", [4.0, 8.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_true_channel_matches_qpsk_theory(trial, snr_db, seed):
    p = _qpsk_theory(snr_db)
    assert irs.qpsk_ser(snr_db) == pytest.approx(p, rel=1e-12)
    ser = irs.symbol_error_rate(
        trial, trial, snr_db, rng=np.random.default_rng(seed), n_symbols=N_SYMBOLS
    )
    sigma = np.sqrt(p * (1 - p) / (N_SYMBOLS * trial.scenario.n_patterns))
    assert abs(ser - p) < 5 * sigma


def test_qpsk_ser_vectorised():
    snrs = np.array([[4.0, 8.0, 12.0], [0.0, -3.0, 20.0]])
    got = irs.qpsk_ser(snrs)
    assert np.shape(got) == snrs.shape
    np.testing.assert_allclose(got, np.vectorize(_qpsk_theory)(snrs), rtol=1e-12)


def test_positive_scaling_of_the_estimate_changes_nothing(trial):
    # Beamformer and detector see ŝ c_q and the beamformed h; a positive scale of Ĥ cancels.
    kwargs = {"snr_db": 6.0, "n_symbols": 20_000}
    a = irs.symbol_error_rate(trial.H, trial, rng=np.random.default_rng(3), **kwargs)
    b = irs.symbol_error_rate(2.5 * trial.H, trial, rng=np.random.default_rng(3), **kwargs)
    assert a == b


def test_zero_estimate_detects_symbol_zero(trial):
    symbols = irs.draw_symbols(np.random.default_rng(0), 40_000)
    ser = irs.symbol_error_rate(
        np.zeros_like(trial.H), trial, 20.0, np.random.default_rng(1), symbols=symbols
    )
    assert ser == pytest.approx(np.mean(symbols != 0))


def test_shared_symbols_and_fresh_noise(trial):
    symbols = irs.draw_symbols(np.random.default_rng(0), 50_000)
    assert symbols.shape == (50_000,) and set(np.unique(symbols)) == {0, 1, 2, 3}
    rng = np.random.default_rng(4)
    a = irs.symbol_error_rate(trial, trial, 4.0, rng, symbols=symbols)
    b = irs.symbol_error_rate(trial, trial, 4.0, rng, symbols=symbols)
    assert a != b  # the same generator moves on: fresh noise per call (departure R14)
    c = irs.symbol_error_rate(trial, trial, 4.0, np.random.default_rng(4), symbols=symbols)
    assert c == a


def test_wrong_channel_degrades_ser(trial):
    other = irs.Run(irs.Scenario.paper(), seed=18).trial(0)
    good = irs.symbol_error_rate(trial, trial, 12.0, np.random.default_rng(0), n_symbols=20_000)
    bad = irs.symbol_error_rate(other, trial, 12.0, np.random.default_rng(0), n_symbols=20_000)
    assert good < 1e-2 < bad


def test_ser_is_vectorised(trial):
    start = time.perf_counter()
    irs.symbol_error_rate(trial, trial, 8.0, np.random.default_rng(0), n_symbols=N_SYMBOLS)
    assert time.perf_counter() - start < 2.0


def test_detection_is_the_first_maximum_of_the_four_scores() -> None:
    """The closed-form QPSK decision equals ``argmax`` of the stacked scores, ties included."""
    from krosbl.irs.ser import _detect

    rng = np.random.default_rng(0)
    t = rng.standard_normal(4000) + 1j * rng.standard_normal(4000)
    v = rng.standard_normal(8)
    ties = np.concatenate([v + 1j * v, v - 1j * v, -v + 1j * v, -v - 1j * v, [0j, 1 + 0j, 1j]])
    t = np.concatenate([t, ties])
    scores = np.stack([t.real, t.imag, -t.real, -t.imag], axis=-1)
    np.testing.assert_array_equal(_detect(t), np.argmax(scores, axis=-1))
