"""``python -m sqlib ...`` runs the command line (same as the ``sqlib`` command)."""

from .cli import main

raise SystemExit(main())
