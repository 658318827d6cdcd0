"""``python -m chatkit`` runs the command-line interface."""

from chatkit.cli import main

raise SystemExit(main())
