"""Key builders for the main table: the one place that spells `pk`/`sk`/GSI values (see docs/data-model.md).

Pure functions, no AWS: stream handlers use them to read keys without loading the data layer.
Times in keys are UTC with a fixed width (microseconds, `Z`), so that string order is time order.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

CATALOGUE_PK = "CATALOGUE"
SYSTEM_PK = "SYSTEM"
PROFILE_SK = "PROFILE"
META_SK = "META"
RISK_SK = "RISK"
KYC_SK = "KYC"
KYC_EFFECT_PREFIX = "KYC#EFFECT#"
DAILY_RESET_SK = "DAILY_RESET"
PLATFORM_FIGURES_SK = "PLATFORM_FIGURES"  # the latest reconciliation with the platform

ACCOUNT_PREFIX = "ACCOUNT#"
TRADER_PREFIX = "TRADER#"
PROGRAM_PREFIX = "PROGRAM#"
VERSION_PREFIX = "VERSION#"
EVENT_PREFIX = "EVENT#"
BREACH_PREFIX = "BREACH#"
NOTIFICATION_PREFIX = "NOTIFICATION#"
RESET_PREFIX = "RESET#"
RESET_GROUP_PREFIX = "RESET_GROUP#"
ORDER_PREFIX = "ORDER#"
ORDERS_DAY_PREFIX = "ORDERS#"
TRANSITION_PREFIX = "TRANSITION#"
ADDON_PREFIX = "ADDON#"
DISCOUNT_PREFIX = "DISCOUNT#"
REVIEW_PREFIX = "REVIEW#"
HOUR_PREFIX = "HOUR#"
RECEIPT_SK = "RECEIPT"
PAYMENT_LINK_SK = "ORDER"
BREAKER_PREFIX = "BREAKER#"
HOLD_PREFIX = "HOLD#"
FLAG_PREFIX = "FLAG#"
FLAGS_PREFIX = "FLAGS#"
DETECTION_PREFIX = "DETECTION#"
SIGNAL_PREFIX = "SIGNAL#"  # TRADER#{trader} / SIGNAL#{day}#{kind}#{hashed value}: identity signals
PENDING_PREFIX = "PENDING#"  # ACCOUNT#{account} / PENDING#{time}#{event id}: a pending order placed (abuse)


def key_time(moment: datetime) -> str:
    """A sortable UTC timestamp for keys: `2026-03-02T10:00:00.000000Z`."""
    if moment.tzinfo is None:
        raise ValueError("key times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_key_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def account_pk(account_id: str) -> str:
    return f"{ACCOUNT_PREFIX}{account_id}"


def trader_pk(trader_id: str) -> str:
    return f"{TRADER_PREFIX}{trader_id}"


def program_pk(program_id: str) -> str:
    return f"{PROGRAM_PREFIX}{program_id}"


def catalogue_sk(program_id: str) -> str:
    return f"{PROGRAM_PREFIX}{program_id}"


def version_sk(version: int) -> str:
    return f"{VERSION_PREFIX}{version:06d}"


def event_sk(time: datetime, event_id: str) -> str:
    return f"{EVENT_PREFIX}{key_time(time)}#{event_id}"


def pending_order_sk(time: datetime, event_id: str) -> str:
    return f"{PENDING_PREFIX}{key_time(time)}#{event_id}"


def breach_sk(time: datetime, rule: str, identity: str = "") -> str:
    """`BREACH#{time}#{rule}#{identity}`: the identity (rule index and trigger) keeps breaches of one rule at
    one instant apart."""
    suffix = f"#{identity}" if identity else ""
    return f"{BREACH_PREFIX}{key_time(time)}#{rule}{suffix}"


def breach_id(breach_sk_value: str) -> str:
    """The opaque, URL-safe id the API hands out for the breach stored at `breach_sk_value`."""
    suffix = strip_prefix(breach_sk_value, BREACH_PREFIX)
    return base64.urlsafe_b64encode(suffix.encode()).decode().rstrip("=")


def breach_sk_of_id(breach_id_value: str) -> str | None:
    """The breach key a `breach_id` names; None for anything the API never handed out."""
    try:
        suffix = base64.urlsafe_b64decode(breach_id_value + "=" * (-len(breach_id_value) % 4)).decode()
        time_text, _, rule = suffix.partition("#")
        parse_key_time(time_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return f"{BREACH_PREFIX}{suffix}" if rule else None


def breach_identity_of(breach_sk_value: str) -> str:
    """The identity part of a breach key ("" for a key written without one)."""
    parts = strip_prefix(breach_sk_value, BREACH_PREFIX).split("#", 2)
    return parts[2] if len(parts) == 3 else ""


def notification_sk(time: datetime, event_id: str) -> str:
    return f"{NOTIFICATION_PREFIX}{key_time(time)}#{event_id}"


def reset_group(timezone: str, day_starts_at: str) -> str:
    """The GSI2 partition of active accounts sharing a day boundary, e.g. `RESET#Europe/Prague#00:00`."""
    return f"{RESET_PREFIX}{timezone}#{day_starts_at}"


def reset_group_sk(timezone: str, day_starts_at: str) -> str:
    return f"{RESET_GROUP_PREFIX}{timezone}#{day_starts_at}"


def strip_prefix(value: str, prefix: str) -> str:
    if not value.startswith(prefix):
        raise ValueError(f"key {value!r} does not start with {prefix!r}")
    return value[len(prefix) :]


# ---- trader/staff API (docs/data-model.md, "API items")
FILLS_PREFIX = "FILLS#"
AUDIT_PREFIX = "AUDIT#"
AUDIT_ACTOR_PREFIX = "AUDIT_BY#"
ENTRY_PREFIX = "ENTRY#"
OVERRIDE_PREFIX = "OVERRIDE#"
RATE_PREFIX = "RATE#"
WINDOW_PREFIX = "WINDOW#"
LEADERBOARD_PREFIX = "LEADERBOARD#"
RETURN_PREFIX = "RETURN#"


def fills_partition(account_id: str) -> str:
    """GSI1 partition of an account's trade executions (position events only: sparse)."""
    return f"{FILLS_PREFIX}{account_id}"


def audit_pk(subject: str) -> str:
    """An audit subject's partition, e.g. `AUDIT#ACCOUNT#acc-1` (AUDIT# partitions are append-only)."""
    return f"{AUDIT_PREFIX}{subject}"


def audit_actor_partition(actor: str) -> str:
    return f"{AUDIT_ACTOR_PREFIX}{actor}"


def entry_sk(time: datetime, entry_id: str) -> str:
    return f"{ENTRY_PREFIX}{key_time(time)}#{entry_id}"


def override_sk(breach_sk_value: str) -> str:
    return f"{OVERRIDE_PREFIX}{strip_prefix(breach_sk_value, BREACH_PREFIX)}"


def rate_pk(action: str, identity: str) -> str:
    return f"{RATE_PREFIX}{action}#{identity}"


def window_sk(window_start: datetime) -> str:
    return f"{WINDOW_PREFIX}{key_time(window_start)}"


def leaderboard_pk(program_id: str, period_key: str, shard: int) -> str:
    """One shard of a program's board for a period, e.g. `LEADERBOARD#one-step#2026-W48#03`."""
    return f"{LEADERBOARD_PREFIX}{program_id}#{period_key}#{shard:02d}"


# ---- purchases (see propdesk.data.orders) ----


def order_pk(order_id: str) -> str:
    return f"{ORDER_PREFIX}{order_id}"


def order_index_sk(created_at: datetime, order_id: str) -> str:
    """GSI1 (a trader's orders) and GSI2 (a day's orders) sort key: newest last."""
    return f"{ORDER_PREFIX}{key_time(created_at)}#{order_id}"


def orders_day(created_at: datetime) -> str:
    """GSI2 partition of the orders placed on one UTC day, e.g. `ORDERS#2026-11-25`."""
    return f"{ORDERS_DAY_PREFIX}{created_at.astimezone(UTC).strftime('%Y-%m-%d')}"


def transition_sk(sequence: int) -> str:
    return f"{TRANSITION_PREFIX}{sequence:06d}"


def webhook_receipt_pk(provider: str, event_id: str) -> str:
    return f"WEBHOOK#{provider}#{event_id}"


def payment_link_pk(provider: str, reference: str) -> str:
    return f"PAYMENT#{provider}#{reference}"


def add_on_sk(add_on_id: str) -> str:
    return f"{ADDON_PREFIX}{add_on_id}"


def discount_sk(code: str) -> str:
    return f"{DISCOUNT_PREFIX}{code.upper()}"


def breaker_sk(name: str) -> str:
    """A platform's circuit breaker, under `SYSTEM_PK`."""
    return f"{BREAKER_PREFIX}{name}"


def velocity_pk(kind: str, value_digest: str) -> str:
    """Purchase counters per e-mail/IP/card; the value is hashed (no personal data in keys)."""
    return f"VELOCITY#{kind}#{value_digest}"


def velocity_sk(moment: datetime) -> str:
    return f"{HOUR_PREFIX}{moment.astimezone(UTC).strftime('%Y-%m-%dT%H')}"


def review_sk(order_id: str) -> str:
    return f"{REVIEW_PREFIX}{order_id}"


# ---- payouts (propdesk.data.payouts)
PAYOUT_PREFIX = "PAYOUT#"
PAYOUT_OPEN_SK = "PAYOUT_OPEN"
ACCOUNT_PAYOUTS_PREFIX = "PAYOUTS#"
PAYOUT_QUEUE_PREFIX = "PAYOUT_QUEUE#"


def payout_pk(payout_id: str) -> str:
    return f"{PAYOUT_PREFIX}{payout_id}"


def account_payouts_partition(account_id: str) -> str:
    """GSI1 partition of an account's payout requests (its payout history)."""
    return f"{ACCOUNT_PAYOUTS_PREFIX}{account_id}"


PAYOUT_TOKEN_PREFIX = "TOKEN#"  # noqa: S105 (a key prefix, not a secret)
PAYOUT_DESTINATION_SK = "PAYOUT_DESTINATION"


def payout_token_sk(step: str) -> str:
    """`PAYOUT#{id}` / `TOKEN#{step}`: a waiting workflow task's token (approval, payment)."""
    return f"{PAYOUT_TOKEN_PREFIX}{step}"


RAIL_PAYMENT_PREFIX = "RAIL_PAYMENT#"


def rail_payment_pk(rail: str, reference: str) -> str:
    """`RAIL_PAYMENT#{rail}#{reference}` / `META`: which payout a rail's payment pays."""
    return f"{RAIL_PAYMENT_PREFIX}{rail}#{reference}"


def payout_queue(status: str) -> str:
    """GSI2 partition of the payouts in one status (finance's queue), e.g. `PAYOUT_QUEUE#requested`."""
    return f"{PAYOUT_QUEUE_PREFIX}{status}"


def payout_index_sk(requested_at: datetime, payout_id: str) -> str:
    """GSI1 and GSI2 sort key of a payout: request time order."""
    return f"{PAYOUT_PREFIX}{key_time(requested_at)}#{payout_id}"


# ---- the realtime table (live-update subscriptions and resumable feeds; docs/websocket.md)
FEED_SEQUENCE_WIDTH = 12


def subscription_pk(topic: str, shard: int) -> str:
    """Who follows a topic, one partition per shard: `SUB#account:acc-1#0`."""
    return f"SUB#{topic}#{shard}"


def subscriber_count_pk(topic: str) -> str:
    """How many follow a sharded topic (a leaderboard): `SUBCOUNT#leaderboard:p:day` / `COUNT`."""
    return f"SUBCOUNT#{topic}"


SUBSCRIBER_COUNT_SK = "COUNT"


def feed_pk(topic: str) -> str:
    return f"FEED#{topic}"


def feed_sk(sequence: int) -> str:
    """Zero-padded, so that string order is sequence order."""
    return f"{sequence:0{FEED_SEQUENCE_WIDTH}d}"


def hold_sk(source: str, reference: str) -> str:
    """A payout hold on an account (under `ACCOUNT#{id}`): one per source and reference."""
    return f"{HOLD_PREFIX}{source}#{reference}"


# ---- KYC (propdesk.data.kyc)
KYC_QUEUE_PREFIX = "KYC_QUEUE#"
KYC_CASE_PREFIX = "KYC#"


def kyc_case_pk(trader_id: str) -> str:
    """A trader's KYC case and its pending effects: their own partition, so that IAM can give the KYC
    functions writes to KYC data (`KYC#*`) without any other of the trader's items (`TRADER#*`)."""
    return f"{KYC_CASE_PREFIX}{trader_id}"


def kyc_effect_sk(effect_id: str) -> str:
    """A KYC case's effect not yet carried out (an event to announce, a workflow to resume)."""
    return f"{KYC_EFFECT_PREFIX}{effect_id}"


def kyc_session_pk(provider: str, session_id: str) -> str:
    """A provider session's lookup: which trader's case holds it."""
    return f"KYCSESSION#{provider}#{session_id}"


def kyc_queue(status: str) -> str:
    """GSI2 partition of the KYC cases in one status (only `awaiting_staff`: staff's review queue)."""
    return f"{KYC_QUEUE_PREFIX}{status}"


def kyc_queue_sk(since: datetime, trader_id: str) -> str:
    return f"KYC#{key_time(since)}#{trader_id}"


def erasure_sk(idempotency_key: str) -> str:
    """A trader's erasure answer under `TRADER#{id}`, kept per `Idempotency-Key`."""
    return f"ERASURE#{idempotency_key}"


def signal_sk(day: str, kind: str, value: str) -> str:
    """An identity signal's sort key under its trader: one per UTC day, kind and (hashed) value."""
    return f"{SIGNAL_PREFIX}{day}#{kind}#{value}"
