"""The runtime client of the Batches API: one client per profile, its errors mapped to batchdeck's failure kinds."""
