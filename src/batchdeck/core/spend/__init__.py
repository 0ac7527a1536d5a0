"""What batches cost: the dated price table with config overrides, and estimates before sending."""
