"""The README and the docs quote the stored measurements, and only them (no solving here).

Every measured number of ``README.md``, ``docs/performance.md`` and ``docs/experiments.md``
is written by ``python -m benchmarks.measured`` from ``docs/measurements/*.json``: each block
must equal what the files give now, and the README and ``docs/performance.md`` hold no time,
memory size or speed-up outside those blocks.
"""

from __future__ import annotations

import re

import pytest

from benchmarks.measured import BLOCK, BLOCKS, DOCUMENTS, ROOT, Measurements, render

#: A time, a memory size or a speed-up factor (``16 × 16`` is a size, not a factor).
QUANTITY = re.compile(r"\d\s*(?:µs|ms|s|min|h|KiB|MiB|GiB)(?![\w-])|\d\s*×(?!\s*\d)")

MEASUREMENTS = Measurements(ROOT / "docs" / "measurements")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_blocks_quote_the_stored_measurements(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert BLOCK.search(text), f"{name} has no measured block"
    assert render(text, MEASUREMENTS) == text, f"run `python -m benchmarks.measured` ({name})"


def test_every_block_is_quoted() -> None:
    quoted = {match[2] for name in DOCUMENTS for match in BLOCK.finditer((ROOT / name).read_text())}
    assert quoted == set(BLOCKS)


@pytest.mark.parametrize("name", ["README.md", "docs/performance.md"])
def test_no_measured_quantity_outside_the_blocks(name: str) -> None:
    text = BLOCK.sub("", (ROOT / name).read_text(encoding="utf-8"))
    prose = re.sub(r"```.*?```|`[^`\n]*`", "", text, flags=re.DOTALL)  # code is not a claim
    assert QUANTITY.findall(prose) == []
