"""The connector service: the long-lived platform connections (docs/connector.md)."""
