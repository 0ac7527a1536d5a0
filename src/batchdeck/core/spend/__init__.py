"""What batches cost: the dated price table with config overrides, estimates before sending, spend
reports over the saved results (by day, week, month, model, label, job, profile) and the monthly budget."""
