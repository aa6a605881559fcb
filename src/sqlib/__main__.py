"""``python -m sqlib ...`` runs the command line (same as the ``sqlib`` command)."""

from sqlib.report.cli import main

raise SystemExit(main())
