"""Subcommands of the `propdesk` console command."""
