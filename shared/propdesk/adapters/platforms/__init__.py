"""Trading-platform adapters implementing `propdesk.platforms.port.TradingPlatform`: Match-Trader,
TradeLocker, DXtrade (and cTrader, MT5 through a bridge), each with a local fake in `fakes/`. `http` is the
transport they share (rate limit, retries with jitter, the shared circuit breaker, error classification);
`credentials` reads a connection's secret lazily with a time to live; `wire` reads times and amounts."""
