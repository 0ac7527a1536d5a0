"""The non-UI heart of batchdeck: configuration, the SQLite cache, the API layer and sync.

Nothing here imports Textual or rich (tests/test_import_hygiene.py guards it).
"""
