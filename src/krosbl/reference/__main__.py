"""``python -m krosbl.reference [DIR] [--json PATH] [--estimates OUT_DIR]``.

Runs the standalone entry point :func:`krosbl.reference.main` and exits with its code: 0 when
every row of every fixture in ``DIR`` (default: the fixtures installed with krosbl) is ok, 1
when a row fails, 2 when ``DIR`` holds no fixture.
"""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
