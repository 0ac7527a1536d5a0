"""One module per `batchdeck` subcommand: `register(subparsers)` and the function that runs it."""
