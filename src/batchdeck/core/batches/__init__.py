"""A batch as the cache knows it (`models`), what may be done to it and why not (`rules`), doing it (`actions`), and describing it for `show`, the detail view and `status`."""
