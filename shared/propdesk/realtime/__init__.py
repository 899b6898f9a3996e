"""Live updates over the WebSocket API: topics, the messages pushed on them, and who may subscribe (pure)."""
