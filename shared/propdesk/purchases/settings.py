"""The purchase functions' settings, validated from their environment at entry (see propdesk.config).

Provider credentials are never in the environment: only the ARNs of their Secrets Manager secrets (JSON:
stripe `{"api_key", "webhook_secret"}`, coinbase-commerce `{"api_key", "webhook_secret"}`, match-trader
`{"base_url", "api_token"}`). API bases are settings so that the local cloud points the adapters at fakes.
"""

from __future__ import annotations

from pydantic import Field

from propdesk.config import EventBusSettings


class PaymentProviderSettings(EventBusSettings):
    stripe_secret_arn: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    coinbase_secret_arn: str | None = None
    coinbase_api_base: str = "https://api.commerce.coinbase.com"


class OrdersApiSettings(PaymentProviderSettings):
    checkout_success_url: str = Field(default="https://app.example.com/purchase/success", min_length=1)
    checkout_cancel_url: str = Field(default="https://app.example.com/purchase/cancel", min_length=1)
    # The firm's choice per fraud check, e.g. "disposable_email=block,country_mismatch=flag".
    fraud_actions: str = ""


class StripeWebhookSettings(PaymentProviderSettings):
    # The same setting as the orders API's: its `card_velocity` entry applies when a card payment succeeds.
    fraud_actions: str = ""


class CryptoWebhookSettings(PaymentProviderSettings):
    pass


class ProvisioningSettings(EventBusSettings):
    match_trader_secret_arn: str = Field(min_length=1)
    match_trader_base_url: str | None = None  # overrides the secret's base_url (the local cloud's fake)
    match_trader_server: str = "MatchTrader"
    # Match-Trader allows 500 a minute per token; each of the function's concurrent instances gets a share.
    platform_requests_per_minute: int = Field(default=250, ge=1)


class ReconciliationSettings(PaymentProviderSettings):
    period_hours: int = Field(default=24, ge=1, le=24 * 7)
    grace_minutes: int = Field(default=15, ge=0)
