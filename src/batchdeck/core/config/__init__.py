"""`config.toml` (profiles and settings) and where batchdeck keeps its files."""
