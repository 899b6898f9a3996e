"""Payout rails (`propdesk.rails.port.PayoutRail`): `bridge.BridgeStablecoinRail` (USDC/USDT to wallets
through Bridge's Transfers API) and `wise.WiseBankRail` (bank payouts through Wise's transfers API). Each
has a local fake speaking its API in `fakes/` and passes `tests/contract/rails`."""
