"""ws_disconnect: WebSocket `$disconnect`; forgets the connection."""
