"""Test-only doubles of propdesk's ports and stores (in memory). They live under `tests/`, never under
`shared/`, so that they are not shipped to Lambda."""
