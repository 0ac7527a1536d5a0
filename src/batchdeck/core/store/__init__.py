"""The SQLite cache: opening and migrating it, rebuilding it from the API, and one repository per table so each table's SQL has one owner."""
