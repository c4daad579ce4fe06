"""Write ``offsbl_reduced.npz``: the parts of the offSBL reference runs the tests read.

Usage (from the repository root; the source directory holds the authors' ``trial_TT.npz``)::

    python tests/data/offsbl/make_reduced.py /path/to/fixtures/offsbl

Four of the eight trials (1, 2, 4 and 7: the last three hold the largest deviations between
krosbl's offSBL and the authors' run), all four SNRs. Kept exactly (float64): the
measurements ``y`` in krosbl's layout ``(S, K2, K1, N_b)``, the pilots, the phases of the
training and fresh IRS patterns (``IRS = exp(j·phase)/√256``), the true angles and gains
(from which the tests rebuild ``Htrue`` and ``Htrue_fresh``, checked here to 1e-12), and the
authors' offSBL outputs: angles, refined grids, weights, NMSE (training and fresh) and time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

TRIALS = (1, 2, 4, 7)
OUT = Path(__file__).with_name("offsbl_reduced.npz")
N_MS, N_BS, N_IRS = 6, 16, 256


def _response(n: int, theta: np.ndarray) -> np.ndarray:
    return np.exp(1j * np.pi * np.outer(np.arange(n), np.atleast_1d(theta))) / np.sqrt(n)


def true_channels(d: dict, patterns: np.ndarray) -> np.ndarray:
    """``Htrue[:, k] = vec(H2 diag(ψ_k) H1)`` (16 × 6 column-major) from angles and gains."""
    h2 = (
        np.sqrt(N_BS * N_IRS)
        * d["alpha_ib"]
        * np.outer(_response(N_BS, d["AoA_bs"])[:, 0], _response(N_IRS, d["AoD_irs"])[:, 0].conj())
    )
    h1 = np.sqrt(N_MS * N_IRS) * np.outer(
        _response(N_IRS, d["AoA_irs"]) @ d["alpha_mi"], _response(N_MS, d["AoD_ms"])[:, 0].conj()
    )
    return np.stack([(h2 * p) @ h1 for p in patterns.T], axis=-1).reshape(
        -1, patterns.shape[1], order="F"
    )


def main(source: Path) -> None:
    out: dict[str, list[np.ndarray]] = {}
    for t in TRIALS:
        d = dict(np.load(source / f"trial_{t:02d}.npz"))
        for name in ("IRS", "IRS_fresh"):
            assert np.allclose(np.abs(d[name]) * np.sqrt(N_IRS), 1.0, atol=1e-12)
        assert np.allclose(true_channels(d, d["IRS"]), d["Htrue"], rtol=0, atol=1e-12)
        assert np.allclose(true_channels(d, d["IRS_fresh"]), d["Htrue_fresh"], rtol=0, atol=1e-12)
        n_snr = d["snr_db"].size
        fields = {
            "trial": np.asarray(t),
            "snr_db": d["snr_db"],
            "y": d["y"].reshape(n_snr, N_BS, 20, 40, order="F").transpose(0, 3, 2, 1),
            "X": d["X"],
            "irs_phase": np.angle(d["IRS"]),
            "irs_fresh_phase": np.angle(d["IRS_fresh"]),
        }
        for name in ("AoD_ms", "AoA_irs", "AoD_irs", "AoA_bs", "AoIRS", "alpha_mi", "alpha_ib"):
            fields[name] = d[name]
        for name in ("nmse", "nmse_fresh", "time"):
            fields[f"{name}_offSBL"] = d[f"{name}_offSBL"]
        for i in (1, 2, 3):
            for name in ("angles", "grid", "x"):
                fields[f"{name}_offSBL_{i}"] = d[f"{name}_offSBL_{i}"]
        for name, value in fields.items():
            out.setdefault(name, []).append(np.asarray(value))
    np.savez_compressed(OUT, **{k: np.stack(v) for k, v in out.items()})
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
