"""The outcome of one (fixture, solver) comparison, the tolerances it is judged by, and the
rows as a plain-text table or a JSON-ready list."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DENSE_HIGH_SNR_DB",
    "DENSE_HIGH_SNR_RTOL",
    "RTOL",
    "Row",
    "format_table",
    "rows_to_json",
]


#: Relative tolerance of every comparison (README "How to compare").
RTOL = 1e-6
#: Tolerance for classic SBL at high SNR, where the reference's ``pinv``/``inv`` loses digits
#: (departure R15 in docs/reproduction.md).
DENSE_HIGH_SNR_RTOL = 1e-4
#: SNR (dB) from which :data:`DENSE_HIGH_SNR_RTOL` applies to classic SBL.
DENSE_HIGH_SNR_DB = 30.0


@dataclass
class Row:
    """Outcome of one (fixture, solver) comparison; fields that do not apply are ``None``.

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
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        bad = [k for k, v in values.items() if isinstance(v, float) and not math.isfinite(v)]
        return values | dict.fromkeys(bad)


def rows_to_json(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Rows as a JSON-ready list of dicts (``None`` where a field does not apply).

    Parameters
    ----------
    rows : iterable of Row

    Returns
    -------
    list of dict
        :meth:`Row.as_dict <krosbl.reference.rows.Row.as_dict>` of each row, in order.
    """
    return [row.as_dict() for row in rows]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table with one line per row and a summary line.

    Parameters
    ----------
    rows : sequence of Row

    Returns
    -------
    str
    """
    head = (
        f"{'fixture':10s} {'solver':8s} {'keys':5s} {'rel_err':>8s} {'n_iter':>7s} "
        f"{'support':>7s} {'noise':>8s} {'gamma':>8s} {'nmse_err':>8s} {'H_err':>8s} "
        f"{'time':>6s}  status"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        n_iter = "-" if r.n_iter is None else f"{r.n_iter}/{r.n_iter_ref}"
        support = {None: "-", True: "same", False: "DIFF"}[r.support_equal]
        secs = "-" if r.seconds is None else f"{r.seconds:.1f}s"
        status = "ok" if r.ok else f"FAIL: {r.reason}"
        lines.append(
            f"{r.fixture:10s} {r.solver:8s} {r.target or '-':5s} {_fmt(r.rel_error):>8s} "
            f"{n_iter:>7s} {support:>7s} {_fmt(r.noise_rel_error):>8s} "
            f"{_fmt(r.gamma_rel_error):>8s} {_fmt(r.nmse_rel_error):>8s} "
            f"{_fmt(r.channel_rel_error):>8s} {secs:>6s}  {status}"
        )
    n_bad = sum(not r.ok for r in rows)
    lines.append(f"{len(rows)} rows: {len(rows) - n_bad} ok, {n_bad} failed")
    return "\n".join(lines)
