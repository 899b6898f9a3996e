"""Calling a fragile outside system politely: retries with backoff and jitter, a rate limiter and a circuit
breaker. Pure: time comes from an injected clock (`monotonic`) and waiting from an injected sleeper, so tests
run without sleeping.
"""
