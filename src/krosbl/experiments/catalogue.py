"""What ``krosbl list`` shows of each experiment, read without importing the experiments.

The definitions of :mod:`krosbl.experiments.registry` hold their settings models (pydantic)
and trial functions, so importing them needs the ``experiments`` extra. Listing them needs
only each definition's literal fields: name, description, what it reproduces and its default
trial count. This module reads those from the registry's source with :mod:`ast`, so the list
and ``krosbl run --help`` work on a base install and the registry stays the one place an
experiment is written.

Examples
--------
>>> [e.name for e in entries()][:2]
['synthetic-snr', 'synthetic-measurements']
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Entry", "entries"]

_REGISTRY = Path(__file__).with_name("registry.py")


@dataclass(frozen=True)
class Entry:
    """The listed fields of one experiment definition.

    Parameters
    ----------
    name : str
        Command-line name, e.g. ``"irs-snr"``.
    description : str
        One line for ``krosbl list``.
    reproduces : str
        The paper's figure it reproduces.
    trials : int
        Its default trial count.
    """

    name: str
    description: str
    reproduces: str
    trials: int


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def _entry(call: ast.Call) -> Entry:
    fields = _keywords(call)
    counts = fields.get("trials")
    if not isinstance(counts, ast.Call):
        raise ValueError(f"line {call.lineno}: trials=TrialCounts(default=...) expected")
    return Entry(
        name=ast.literal_eval(fields["name"]),
        description=ast.literal_eval(fields["description"]),
        reproduces=ast.literal_eval(fields["reproduces"]),
        trials=ast.literal_eval(_keywords(counts)["default"]),
    )


def entries(source: Path = _REGISTRY) -> list[Entry]:
    """Every ``Experiment(...)`` definition of the registry, in definition order.

    Parameters
    ----------
    source : Path
        The registry module's source file.

    Returns
    -------
    list of Entry

    Raises
    ------
    ValueError
        If a definition spells a listed field as anything but a literal (the registry and
        this reader disagree; ``tests/test_cli.py`` compares the two).
    """
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Experiment"
    ]
    try:
        return [_entry(call) for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset))]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{source}: an Experiment(...) definition is not literal: {exc}") from exc
