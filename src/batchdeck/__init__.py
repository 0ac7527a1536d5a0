"""batchdeck: a terminal manager for Anthropic Message Batches."""

__version__ = "0.1.0"
