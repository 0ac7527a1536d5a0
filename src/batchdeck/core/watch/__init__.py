"""Headless watching: the poll loop and its schedule, what is done when a batch ends, user hooks (shell command and webhook), and the one-line notices."""
