"""A batch's results: downloading and indexing them once, browsing and filtering the index, one result made readable, and exporting."""
