"""Local fake servers speaking the documented HTTP APIs of outside providers (Stripe, Coinbase Commerce,
Match-Trader's Broker API), so that the real adapters run end to end offline. Standard library only.

Each fake keeps its state in memory, can be told to fail (`fail_next`), and offers test controls in Python
(e.g. `FakeStripe.pay(session_id)` returns the signed webhook deliveries Stripe would send). Started by
tests, or all at once with `python -m fakes` (for `make dev`).
"""
