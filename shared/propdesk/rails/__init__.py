"""Payout rails, as the domain sees them: where a payout may be sent (`destinations`: stablecoin wallets and
bank accounts, validated, stored once, shown masked) and the port every rail implements (`port.PayoutRail`:
pay once per payout, look a payment up, verify the rail's signed status webhooks). Adapters (a stablecoin
payout provider, a bank payout provider) live in `propdesk.adapters.rails`; local fakes in `fakes/`.
"""
