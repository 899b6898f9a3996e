"""The local cloud (ministack) that `make dev` and the end-to-end tests deploy the real stack into."""
