"""Trading platforms (Match-Trader, cTrader, TradeLocker, DXtrade, MetaTrader 5 through a bridge) as the
domain sees them: one port (`port.TradingPlatform`), the records it speaks in, and pure helpers that turn
what a platform reports into the engine's trading events. Adapters live in `propdesk.adapters.platforms`;
local fakes speaking each platform's API in `fakes/`.
"""
