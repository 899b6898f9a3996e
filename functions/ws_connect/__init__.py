"""ws_connect: WebSocket `$connect`; records the connection in the connections table."""
