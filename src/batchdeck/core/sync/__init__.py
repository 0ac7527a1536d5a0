"""Keeping the cache in step with the API at the least cost, and the turnaround history it yields."""
