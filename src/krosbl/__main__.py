"""``python -m krosbl``: the ``krosbl`` command (:func:`krosbl.cli.main`)."""

from krosbl.cli import main

raise SystemExit(main())
