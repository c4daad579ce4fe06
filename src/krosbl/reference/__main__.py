"""``python -m krosbl.reference [DIR] [--json PATH] [--estimates OUT_DIR]``: runs
:func:`krosbl.reference.main` and exits with its code."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
