"""Output of the verification rows: a plain-text table and a JSON-ready list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .rows import Row

__all__ = ["format_table", "rows_to_json"]


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
