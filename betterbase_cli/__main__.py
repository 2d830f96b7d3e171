"""`python -m betterbase_cli` runs the `bb` command."""

from betterbase_cli.entry import script

script()
