"""Trading abuse across accounts, with evidence: copy trading rings, cross-account hedging, shared
identities, scalping, latency arbitrage, martingale and grid, news straddling.

Pure domain code. Each detector reads normalized trading events (the engine's) and identity signals one at
a time (`observe(event, context) -> list[Flag]`), keeping bounded state in keyed items that expire in event
time (`propdesk.abuse.state.KeyedState`: a DynamoDB item per key in production), and may look again at a
window of events in a daily deep pass. Flags carry their evidence and a stable id; decisions are staff's,
or automatic where the firm enabled it, as plain data (`propdesk.abuse.decisions`). See docs/abuse.md.

Also the rules the firm applies at its doors whatever door is used (`propdesk.abuse.sign_up`: our sign-up
route and Cognito's pre-sign-up trigger).
"""
