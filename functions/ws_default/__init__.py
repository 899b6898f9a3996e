"""ws_default: WebSocket `$default`; answers `ping` and `subscribe` messages."""
