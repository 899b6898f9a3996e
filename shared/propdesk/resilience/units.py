"""Units of the provisioning controls (retries, rate limits, circuit breaking). Durations and call budgets
are binary floats on purpose: they are time, never money (money is `Decimal` everywhere)."""

Seconds = float  # a duration or a monotonic instant
Calls = float  # a (fractional) number of calls in a token bucket
