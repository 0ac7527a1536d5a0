"""The Textual interface. Only `batchdeck` (no command), `--readonly` and `demo` import this package."""
