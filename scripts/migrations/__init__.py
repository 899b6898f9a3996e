"""One-off data migrations an operator runs against a deployed stage (see each module's docstring)."""
