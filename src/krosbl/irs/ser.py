"""Symbol error rate of QPSK over the beamformed channel of an estimate.

The metric is stated in docs/theory.md, section "Symbol error rate".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erfc

from krosbl.irs.metrics import matching_channels
from krosbl.validation import check_int, check_real

__all__ = ["QPSK", "draw_symbols", "qpsk_ser", "symbol_error_rate"]

#: ``√(1/2)``: the standard deviation of each part of a ``CN(0, 1)`` draw, as
#: :func:`krosbl.irs._random.complex_normal` scales it.
_HALF_SD = np.sqrt(0.5)

#: The QPSK constellation ``c_q = e^{jπq/2}``, ``q = 0..3`` (``1, j, −1, −j``).
QPSK: NDArray[np.complex128] = np.exp(0.5j * np.pi * np.arange(4))
QPSK.flags.writeable = False


def draw_symbols(rng: np.random.Generator, n_symbols: int = 100_000) -> NDArray[np.intp]:
    """Draw uniform QPSK symbol indices ``q_n ∈ {0, 1, 2, 3}``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_symbols : int, default 100000
        Number of symbols.

    Returns
    -------
    ndarray of intp, shape (n_symbols,)
        Indices into :data:`QPSK`, for :func:`symbol_error_rate`'s ``symbols`` (experiments
        share them between algorithms, departure R14 in docs/reproduction.md).
    """
    n_symbols = check_int("n_symbols", n_symbols, minimum=1)
    return rng.integers(0, 4, size=n_symbols).astype(np.intp)


def qpsk_ser(snr_db: float | ArrayLike) -> NDArray[np.float64] | float:
    """Return the theoretical QPSK symbol error rate ``2Q(√SNR) − Q(√SNR)²``.

    Parameters
    ----------
    snr_db : float or array_like
        ``E_s/N_0`` in dB.

    Returns
    -------
    float or ndarray
        The SER (same shape as ``snr_db``): that of :func:`symbol_error_rate` when
        ``Ĥ_k = H_k``.
    """
    q = 0.5 * erfc(np.sqrt(10.0 ** (np.asarray(snr_db, dtype=float) / 10.0)) / np.sqrt(2.0))
    out = 2.0 * q - q**2
    return float(out) if out.ndim == 0 else out


def symbol_error_rate(
    estimate: Any | ArrayLike,
    truth: Any | ArrayLike,
    snr_db: float,
    rng: np.random.Generator | int | None = None,
    *,
    n_symbols: int = 100_000,
    symbols: ArrayLike | None = None,
) -> float:
    """Return the QPSK SER when transmitting over the dominant mode of each estimated channel.

    Parameters
    ----------
    estimate : Estimate or array_like, shape (K2, N_b, N_m)
        The estimate (or its channels ``Ĥ``), used to beamform and to detect.
    truth : Trial or array_like, shape (K2, N_b, N_m)
        The trial (or its true channels ``H``), through which the symbols travel.
    snr_db : float
        SNR in dB of the beamformed link; finite.
    rng : numpy.random.Generator or int or None, optional
        Source of the noise (and of the symbols when ``symbols`` is not given).
    n_symbols : int, default 100000
        Symbols to draw when ``symbols`` is not given.
    symbols : array_like of int, optional
        Symbol indices in ``0..3`` (:func:`draw_symbols`), shared across algorithms.

    Returns
    -------
    float
        ``mean_k SER_k`` over the ``K2`` patterns.

    Raises
    ------
    ValueError
        If the SNR is not finite, the symbols are not in ``0..3`` or the channel shapes differ.

    Notes
    -----
    Per pattern ``k``: ``Ĥ_k = Û Ŝ V̂ᴴ``,
    ``u = Û[:, 0]``, ``v = V̂[:, 0]``, ``ŝ = Ŝ[0]``; ``h = uᴴ H_k v``;
    ``r_n = h c_{q_n} + w_n`` with ``w_n ~ CN(0, σ_s²)``,
    ``σ_s² = mean_n |h c_{q_n}|² / 10^{SNR/10}`` (fresh noise per pattern and call);
    ``q̂_n = argmin_q |r_n − ŝ c_q| = argmax_q Re(conj(ŝ c_q) r_n)`` (``|c_q| = 1``).
    The noise is scaled to the *beamformed true* power ``|h|²`` (departure R13 in
    docs/reproduction.md, as the paper plots), so a poor estimate loses only through ``h`` and
    ``ŝ``; with ``Ĥ = H`` the SER is :func:`qpsk_ser`.
    """
    h_hat, h_true = matching_channels(estimate, truth)
    snr = 10.0 ** (check_real("snr_db", snr_db) / 10.0)
    gen = np.random.default_rng(rng)
    q = draw_symbols(gen, n_symbols) if symbols is None else _checked_symbols(symbols)
    u, s, vh = np.linalg.svd(h_hat)
    s_hat = s[:, 0]
    h = np.einsum("kb,kbn,kn->k", u[:, :, 0].conj(), h_true, vh[:, 0, :].conj())
    received = h[:, None] * QPSK[q][None, :]
    noise_sd = np.sqrt(np.mean(np.abs(received) ** 2, axis=1) / snr)[:, None]
    for part in (received.real, received.imag):  # + σ_s w, w ~ CN(0, 1): real parts drawn first
        draw = gen.standard_normal(received.shape)
        draw *= _HALF_SD
        draw *= noise_sd
        part += draw
    np.multiply(np.conj(s_hat)[:, None], received, out=received)
    return float(np.count_nonzero(_detect(received) != q[None, :]) / received.size)


def _detect(t: NDArray[np.complex128]) -> NDArray[np.intp]:
    """``argmax_q Re(conj(c_q) t)`` over ``(Re t, Im t, −Re t, −Im t)``, the first on ties.

    The largest of the four is ``max(|Re t|, |Im t|)`` exactly (negation and ``abs`` are exact
    in floating point). Where ``|Re t| ≥ |Im t|`` it is ``Re t`` (0) when ``Re t ≥ 0``, else
    ``Im t`` (1) if that ties with ``−Re t``, else ``−Re t`` (2); elsewhere it is ``Im t`` (1)
    when ``Im t > 0``, else ``−Im t`` (3). This reproduces ``argmax`` without the four scores.
    """
    re, im = t.real, t.imag
    size = np.abs(re)
    wide = size >= np.abs(im)
    out = np.where(wide, np.where(re >= 0, 0, 2), np.where(im > 0, 1, 3))
    out[wide & (re < 0) & (im == size)] = 1
    return out


def _checked_symbols(symbols: ArrayLike) -> NDArray[np.intp]:
    q = np.asarray(symbols)
    if q.ndim != 1 or q.size == 0 or not np.issubdtype(q.dtype, np.integer):
        raise ValueError(f"symbols must be a non-empty 1-D integer array, got {q.dtype} {q.shape}")
    if q.min() < 0 or q.max() > 3:
        raise ValueError("symbols must be QPSK indices in 0..3")
    return q.astype(np.intp, copy=False)
