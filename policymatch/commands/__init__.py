"""Subcommands of the ``policymatch`` CLI, one module each."""
