"""`python -m agentops_otel.cli` runs the CLI."""

from . import main

main()
