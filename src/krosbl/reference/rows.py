"""The outcome of one (fixture, solver) comparison and the tolerances it is judged by."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["DENSE_HIGH_SNR_DB", "DENSE_HIGH_SNR_RTOL", "RTOL", "Row"]


#: Relative tolerance of every comparison (README "How to compare").
RTOL = 1e-6
#: Tolerance for classic SBL at high SNR, where the reference's ``pinv``/``inv`` loses digits
#: (departure R15 in docs/reproduction.md).
DENSE_HIGH_SNR_RTOL = 1e-4
#: SNR (dB) from which :data:`DENSE_HIGH_SNR_RTOL` applies to classic SBL.
DENSE_HIGH_SNR_DB = 30.0


@dataclass
class Row:
    """Outcome of one (fixture, solver) comparison.

    Fields that do not apply to a row are ``None`` (e.g. ``noise_rel_error`` with a known
    ``σ²``, ``n_iter`` for the greedy baselines, ``channel_rel_error`` for synthetic problems).

    Attributes
    ----------
    fixture, solver : str
        Fixture name and solver tag.
    method : str or None
        The krosbl method run.
    target : {"sym", "plain"} or None
        Which reference keys were compared (``sym_<tag>_…`` or ``<tag>_…``).
    tolerance : float
        Relative tolerance applied to this row.
    rel_error : float or None
        ``‖x̂ − x_ref‖ / ‖x_ref‖`` of the full-length estimate.
    channel_rel_error : float or None
        IRS only: the same for the rebuilt channels ``Ĥ`` against ``<t>_H_re``.
    n_iter_ref, n_iter : int or None
        EM iterations of the reference and of krosbl.
    support_equal : bool or None
        Kept support (and per-factor kept sets) equal as sets.
    noise_rel_error : float or None
        Relative error of the learned noise variance (``*_un`` rows).
    gamma_rel_error : float or None
        Largest relative error of the final ``γ`` (full length) and of the factor ``γ_i`` on
        their kept indices.
    nmse, nmse_ref : float or None
        NMSE recomputed from krosbl's estimate (synthetic: ``‖x̂ − x‖²/‖x‖²`` in the fixture's
        convention, i.e. unsquared for ``omp``; IRS: channel NMSE) and the stored one.
    nmse_rel_error : float or None
        Relative difference of the two (IRS: also over the per-pattern terms).
    srr_equal : bool or None
        Synthetic: support recovery rate recomputed from the estimate equals the stored one.
    settings_equal : bool or None
        The solver constants recorded in the JSON equal krosbl's settings.
    seconds : float or None
        Wall time of the krosbl solve.
    ok : bool
        Every applicable check passed.
    reason : str or None
        Why the row failed (``None`` when ``ok``).
    """

    fixture: str
    solver: str
    method: str | None = None
    target: str | None = None
    tolerance: float = RTOL
    rel_error: float | None = None
    channel_rel_error: float | None = None
    n_iter_ref: int | None = None
    n_iter: int | None = None
    support_equal: bool | None = None
    noise_rel_error: float | None = None
    gamma_rel_error: float | None = None
    nmse: float | None = None
    nmse_ref: float | None = None
    nmse_rel_error: float | None = None
    srr_equal: bool | None = None
    settings_equal: bool | None = None
    seconds: float | None = None
    ok: bool = False
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The row as a JSON-ready dict (non-finite floats become ``None``)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            out[f.name] = value
        return out
