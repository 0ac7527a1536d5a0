"""Configuration: config.toml read and written (`toml_file`, `parse`, `edit`, `show`), the profiles it
names (`profiles`, with stored keys held as a `secret.Secret`), the typed settings with their defaults
and docs (`settings`, `values`), and where batchdeck keeps its files (`paths`)."""
