"""`python -m plates ...`: see plates.cli."""

from .cli import main

raise SystemExit(main())
