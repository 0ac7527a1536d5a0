"""`python -m batchdeck` entry point."""

from batchdeck.cli import main

raise SystemExit(main())
