"""pynamodb models: the storage shape of every entity (keys exactly as docs/data-model.md).

Table names and the endpoint are not known here: `propdesk.data.binding.bind_tables` sets them at run time.
Only the repositories use these classes; everything else works with `propdesk.records`.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from propdesk.data.attributes import DecimalAttribute
from propdesk.data.schema import (
    AUDIT_TABLE,
    BY_TRADER,
    CONNECTIONS_TABLE,
    GSI1,
    GSI2,
    MAIN_TABLE,
    OUTBOX_INDEX,
    REALTIME_TABLE,
)

UNBOUND = "unbound-call-propdesk.data.bind_tables"


class MainTableModel(Model):
    """Every entity of the main table shares its keys; `entity` names the kind of item."""

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True, attr_name=MAIN_TABLE.partition_key)
    sk = UnicodeAttribute(range_key=True, attr_name=MAIN_TABLE.sort_key)
    entity = UnicodeAttribute()


class TraderAccountsIndex(GlobalSecondaryIndex["AccountItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ResetGroupIndex(GlobalSecondaryIndex["AccountItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class CatalogueEntryItem(MainTableModel):
    program_id = UnicodeAttribute()
    name = UnicodeAttribute()
    current_version = NumberAttribute()
    currency = UnicodeAttribute()
    initial_balance = DecimalAttribute()
    prices = JSONAttribute()
    kind = UnicodeAttribute()
    description = UnicodeAttribute(default="")


class ProgramVersionItem(MainTableModel):
    program_id = UnicodeAttribute()
    version = NumberAttribute()
    document = JSONAttribute()
    published_at = UTCDateTimeAttribute()


class TraderProfileItem(MainTableModel):
    trader_id = UnicodeAttribute()
    email = UnicodeAttribute()
    display_name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class AccountItem(MainTableModel):
    account_id = UnicodeAttribute()
    trader_id = UnicodeAttribute()
    program_id = UnicodeAttribute()
    program_version = NumberAttribute()
    status = UnicodeAttribute()
    status_reason = UnicodeAttribute(default="")
    currency = UnicodeAttribute()
    initial_balance = DecimalAttribute()
    timezone = UnicodeAttribute()
    day_starts_at = UnicodeAttribute()
    opened_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute(null=True)
    # where it lives on its trading platform (propdesk.records.PlatformReference); absent on older accounts
    platform = UnicodeAttribute(null=True)
    platform_account_id = UnicodeAttribute(null=True)
    platform_login = UnicodeAttribute(null=True)
    platform_group = UnicodeAttribute(null=True)
    platform_server = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_trader = TraderAccountsIndex()
    by_reset_group = ResetGroupIndex()


class FillsIndex(GlobalSecondaryIndex["TradingEventItem"]):  # type: ignore[no-untyped-call]
    """GSI1 over position events only (`FILLS#{account_id}` / the event's sk): trades without ticks."""

    class Meta:
        index_name = GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TradingEventItem(MainTableModel):
    account_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_time = UTCDateTimeAttribute()
    event_type = UnicodeAttribute()
    payload = JSONAttribute()
    received_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    fills = FillsIndex()


class PendingOutboxIndex(GlobalSecondaryIndex["RiskStateItem"]):  # type: ignore[no-untyped-call]
    """Snapshots whose outbox is not empty (sparse): `OUTBOX#{shard}` / `{account_id}`, with `updated_at`."""

    class Meta:
        index_name = OUTBOX_INDEX.name
        projection = IncludeProjection(list(OUTBOX_INDEX.projected or ()))

    outbox_pk = UnicodeAttribute(hash_key=True)
    outbox_sk = UnicodeAttribute(range_key=True)


class RiskStateItem(MainTableModel):
    account_id = UnicodeAttribute()
    version = VersionAttribute()
    state = JSONAttribute()
    evaluation = JSONAttribute()
    last_event_sk = UnicodeAttribute(null=True)
    applied_events = NumberAttribute(default=0)
    evaluated_until = UTCDateTimeAttribute(null=True)
    warnings_sent = JSONAttribute(default=dict)
    pending = JSONAttribute(null=True)  # the outbox: [{effect_id, kind, data}] still to perform; absent: none
    updated_at = UTCDateTimeAttribute()
    # present exactly while `pending` is: the snapshot is then in the sparse outbox index (the sweep's list)
    outbox_pk = UnicodeAttribute(null=True)
    outbox_sk = UnicodeAttribute(null=True)
    with_pending = PendingOutboxIndex()


class PlatformFiguresItem(MainTableModel):
    """`ACCOUNT#{id}` / `PLATFORM_FIGURES`: the latest reconciliation of the account with its platform and
    whether its trading data is stale (propdesk.data.reconciliations)."""

    account_id = UnicodeAttribute()
    outcome = UnicodeAttribute()
    checked_at = UTCDateTimeAttribute()
    held = BooleanAttribute(default=False)
    stale = BooleanAttribute(default=False)
    stale_since = UTCDateTimeAttribute(null=True)
    differences = JSONAttribute(default=list)  # [{figure, ours, theirs, allowed}]
    platform_balance = UnicodeAttribute(null=True)
    platform_equity = UnicodeAttribute(null=True)


class BreachItem(MainTableModel):
    account_id = UnicodeAttribute()
    rule = UnicodeAttribute()
    breach_time = UTCDateTimeAttribute()
    effect = UnicodeAttribute()
    limit = DecimalAttribute()
    value = DecimalAttribute()
    explanation = UnicodeAttribute()
    event_id = UnicodeAttribute(null=True)
    event_type = UnicodeAttribute(null=True)
    figures = JSONAttribute()
    program_id = UnicodeAttribute()
    program_version = NumberAttribute()
    recorded_at = UTCDateTimeAttribute()


class PayoutHoldItem(MainTableModel):
    account_id = UnicodeAttribute()
    source = UnicodeAttribute()
    reference = UnicodeAttribute()
    reason = UnicodeAttribute()
    placed_at = UTCDateTimeAttribute()


class KycQueueIndex(GlobalSecondaryIndex["KycCaseItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class KycCaseItem(MainTableModel):
    """`KYC#{trader_id}` / `KYC`: the trader's verification case (`propdesk.kyc.case`) as one JSON document,
    written whole with a condition on `version`; in GSI2 (`KYC_QUEUE#awaiting_staff`) while staff must
    decide."""

    trader_id = UnicodeAttribute()
    status = UnicodeAttribute()
    version = NumberAttribute()
    document = JSONAttribute()
    opened_at = UTCDateTimeAttribute()
    decided_at = UTCDateTimeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    queue = KycQueueIndex()


class KycEffectItem(MainTableModel):
    """`KYC#{trader_id}` / `KYC#EFFECT#{effect_id}`: what a KYC transition still has to do (announce an event,
    resume a workflow), written with the case and deleted once done."""

    effect_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    document = JSONAttribute()


class KycSessionItem(MainTableModel):
    """`KYCSESSION#{provider}#{session_id}` / `KYC`: the trader whose case holds a provider session."""

    trader_id = UnicodeAttribute()


class NotificationItem(MainTableModel):
    trader_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_time = UTCDateTimeAttribute()
    detail_type = UnicodeAttribute()
    detail = JSONAttribute()


class ResetGroupItem(MainTableModel):
    """Registers a (timezone, day start) pair whose accounts the daily reset must visit."""

    timezone = UnicodeAttribute()
    day_starts_at = UnicodeAttribute()


class ResetWatermarkItem(MainTableModel):
    checked_until = UTCDateTimeAttribute()
    version = VersionAttribute()
    retry = JSONAttribute(null=True)  # [{account_id, boundary, attempts}]: accounts to advance again


class ConnectionsByTraderIndex(GlobalSecondaryIndex["ConnectionItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = BY_TRADER.name
        projection = AllProjection()

    trader_id = UnicodeAttribute(hash_key=True)


class ConnectionItem(Model):
    class Meta:
        table_name = UNBOUND

    connection_id = UnicodeAttribute(hash_key=True, attr_name=CONNECTIONS_TABLE.partition_key)
    trader_id = UnicodeAttribute(null=True)
    connected_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    subscriptions = UnicodeSetAttribute(null=True)
    groups = UnicodeSetAttribute(null=True)  # the caller's Cognito groups (staff roles) at $connect
    by_trader = ConnectionsByTraderIndex()


class RealtimeTableModel(Model):
    """Subscriptions and resumable feeds share the realtime table's keys."""

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True, attr_name=REALTIME_TABLE.partition_key)
    sk = UnicodeAttribute(range_key=True, attr_name=REALTIME_TABLE.sort_key)
    expires_at = TTLAttribute()


class SubscriptionItem(RealtimeTableModel):
    """`SUB#{topic}#{shard}` / `{connection_id}`: who receives a topic's updates."""

    topic = UnicodeAttribute()
    connection_id = UnicodeAttribute()


class SubscriberCountItem(RealtimeTableModel):
    """`SUBCOUNT#{topic}` / `COUNT`: how many subscription items a sharded topic (a leaderboard) has, changed
    only in the transaction that puts or deletes one of them, never below zero; no TTL (an expired
    subscription leaves it above the truth until a read of the shards finds none and nothing changed
    meanwhile)."""

    subscribers = NumberAttribute(default=0)
    changes = NumberAttribute(default=0)  # bumped by every change: a reset to 0 is conditional on it


class FeedEntryItem(RealtimeTableModel):
    """`FEED#{topic}` / `{sequence:012d}`: an update as it was pushed, kept for clients that resume."""

    topic = UnicodeAttribute()
    sequence = NumberAttribute()
    message = JSONAttribute()


class AuditByActorIndex(GlobalSecondaryIndex["AuditEntryItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class AuditTableModel(Model):
    """The audit table's items (its own table: no TTL, no edits; infra/constructs/data.py)."""

    class Meta:
        table_name = UNBOUND

    pk = UnicodeAttribute(hash_key=True, attr_name=AUDIT_TABLE.partition_key)
    sk = UnicodeAttribute(range_key=True, attr_name=AUDIT_TABLE.sort_key)
    entity = UnicodeAttribute()


class AuditEntryItem(AuditTableModel):
    """Append-only: written once with `attribute_not_exists`, never updated; the table's policy denies every
    update and delete, writers hold PutItem alone, and a changed or removed entry raises an alarm."""

    entry_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    actor_roles = JSONAttribute(default=list)
    action = UnicodeAttribute()
    subject = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_actor = AuditByActorIndex()


class BreachOverrideItem(MainTableModel):
    override_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    breach_sk = UnicodeAttribute()
    actor = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class RateWindowItem(MainTableModel):
    hits = NumberAttribute(default=0)
    tokens = UnicodeSetAttribute(null=True)  # the Idempotency-Keys counted in the window (each once)
    expires_at = TTLAttribute()


class LeaderboardRankIndex(GlobalSecondaryIndex["LeaderboardItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class LeaderboardItem(MainTableModel):
    program_id = UnicodeAttribute()
    period_key = UnicodeAttribute()
    account_id = UnicodeAttribute()
    display_name = UnicodeAttribute()
    initial_balance = DecimalAttribute()
    start_balance = DecimalAttribute()
    balance = DecimalAttribute()
    start_funding = DecimalAttribute(null=True)  # scaling growth, withdrawals, deposits: not a trading gain
    funding = DecimalAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_rank = LeaderboardRankIndex()


# ---- purchases (propdesk.data.orders, propdesk.data.sales) ----


class OrdersByTraderIndex(GlobalSecondaryIndex["OrderItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class OrdersByDayIndex(GlobalSecondaryIndex["OrderItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class OrderItem(MainTableModel):
    order_id = UnicodeAttribute()
    trader_id = UnicodeAttribute()
    email = UnicodeAttribute()
    program_id = UnicodeAttribute()
    program_version = NumberAttribute()
    currency = UnicodeAttribute()
    total = DecimalAttribute()
    lines = JSONAttribute()
    payment_method = UnicodeAttribute()
    provider = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute()
    request_fingerprint = UnicodeAttribute(default="")
    add_on_effects = JSONAttribute(default=dict)
    payment_url = UnicodeAttribute(null=True)
    session_reference = UnicodeAttribute(null=True)
    payment_reference = UnicodeAttribute(null=True)
    amount_paid = DecimalAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    status_before_dispute = UnicodeAttribute(null=True)
    open_disputes = JSONAttribute(default=list)
    closed_disputes = JSONAttribute(default=list)
    flags = JSONAttribute(default=list)
    client_ip = UnicodeAttribute(null=True)
    client_country = UnicodeAttribute(null=True)
    provisioning_attempts = NumberAttribute(default=0)
    provisioning_lease_until = UTCDateTimeAttribute(null=True)
    provisioning_error = UnicodeAttribute(null=True)
    platform_account_id = UnicodeAttribute(null=True)
    platform_login = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_trader = OrdersByTraderIndex()
    by_day = OrdersByDayIndex()


class OrderTransitionItem(MainTableModel):
    order_id = UnicodeAttribute()
    sequence = NumberAttribute()
    from_status = UnicodeAttribute()
    to_status = UnicodeAttribute()
    cause = UnicodeAttribute()
    note = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class WebhookReceiptItem(MainTableModel):
    provider = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    events = JSONAttribute(default=list)
    published = BooleanAttribute(default=False)


class PaymentLinkItem(MainTableModel):
    provider = UnicodeAttribute()
    reference = UnicodeAttribute()
    order_id = UnicodeAttribute()


class DiscountCodeItem(MainTableModel):
    code = UnicodeAttribute()
    kind = UnicodeAttribute()
    percent = DecimalAttribute(null=True)
    amounts = JSONAttribute(default=dict)
    expires_at = UTCDateTimeAttribute(null=True)
    max_uses = NumberAttribute(null=True)
    uses = NumberAttribute(default=0)
    programs = JSONAttribute(default=list)
    active = BooleanAttribute(default=True)


class AddOnItem(MainTableModel):
    add_on_id = UnicodeAttribute()
    name = UnicodeAttribute()
    prices = JSONAttribute(default=dict)
    percent_of_program = DecimalAttribute(null=True)
    programs = JSONAttribute(default=list)
    effects = JSONAttribute(default=dict)


class VelocityItem(MainTableModel):
    purchases = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)  # the fraud window past the hourly bucket (data/sales.py)


class PendingOrderItem(MainTableModel):
    """`ACCOUNT#{account}` / `PENDING#{time}#{event id}`: a pending order the platform reported (for the abuse
    detectors only: outside the account's `EVENT#` log, so the risk engine never replays it)."""

    account_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_time = UTCDateTimeAttribute()
    payload = JSONAttribute()
    received_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class IdentitySignalItem(MainTableModel):
    """`TRADER#{trader}` / `SIGNAL#{day}#{kind}#{value}`: an identity signal, its value a keyed hash."""

    trader_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    value = UnicodeAttribute()
    network = UnicodeAttribute(default="unknown")
    account_id = UnicodeAttribute(default="")
    at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)


class ReviewFlagItem(MainTableModel):
    trader_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    flagged_at = UTCDateTimeAttribute()


# ---- payouts (propdesk.data.payouts) ----


class PayoutsByAccountIndex(GlobalSecondaryIndex["PayoutItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class PayoutsByStatusIndex(GlobalSecondaryIndex["PayoutItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class PayoutItem(MainTableModel):
    payout_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    trader_id = UnicodeAttribute()
    status = UnicodeAttribute()
    currency = UnicodeAttribute()
    amount = DecimalAttribute()
    trader_share = DecimalAttribute()
    firm_share = DecimalAttribute()
    requested_at = UTCDateTimeAttribute()
    request_fingerprint = UnicodeAttribute(default="")
    decided_at = UTCDateTimeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    published_status = UnicodeAttribute(null=True)
    revision = NumberAttribute(null=True)  # absent before the workflow: 0
    approvals = JSONAttribute(null=True)  # [actor, ...]
    timeline = JSONAttribute(null=True)  # [{"status": ..., "at": ISO-8601}, ...]
    rail = UnicodeAttribute(null=True)
    rail_reference = UnicodeAttribute(null=True)
    destination = UnicodeAttribute(null=True)  # masked
    paid_amount = DecimalAttribute(null=True)
    fees = DecimalAttribute(null=True)
    extras = JSONAttribute(null=True)  # [{"kind", "amount": decimal string, "explanation"}, ...]
    failure_reason = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    withdrawal_started_at = UTCDateTimeAttribute(null=True)  # before the platform is asked to withdraw
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_account = PayoutsByAccountIndex()
    by_status = PayoutsByStatusIndex()


class PayoutTokenItem(MainTableModel):
    """`PAYOUT#{id}` / `TOKEN#{step}`: the task token of the payout workflow's waiting step."""

    task_token = UnicodeAttribute()


class RailPaymentLinkItem(MainTableModel):
    """`RAIL_PAYMENT#{rail}#{reference}` / `META`: the payout a rail's payment pays."""

    payout_id = UnicodeAttribute()


class PayoutDestinationItem(MainTableModel):
    """`TRADER#{id}` / `PAYOUT_DESTINATION`: the trader's one payout destination. `details` holds the
    account number or wallet address: never logged, never returned in clear (the views mask it)."""

    destination_id = UnicodeAttribute()
    trader_id = UnicodeAttribute()
    details = JSONAttribute()
    added_at = UTCDateTimeAttribute()
    verified_at = UTCDateTimeAttribute(null=True)


class PayoutLockItem(MainTableModel):
    """`ACCOUNT#{id}` / `PAYOUT_OPEN`: the account's one open payout (requested, approved, withdrawn or
    paying)."""

    payout_id = UnicodeAttribute()


class CircuitBreakerItem(MainTableModel):
    """`SYSTEM` / `BREAKER#{name}`: a platform's circuit, shared by every worker (instants: epoch seconds)."""

    failures = NumberAttribute(default=0)
    opened_at = NumberAttribute(null=True)
    probe_until = NumberAttribute(null=True)


class FlagsByStatusIndex(GlobalSecondaryIndex["AbuseFlagItem"]):  # type: ignore[no-untyped-call]
    """GSI1 over abuse flags: `FLAGS#{status}` / `{detected_at}#{flag_id}` (the review queue by status)."""

    class Meta:
        index_name = GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class FlagsByDetectorIndex(GlobalSecondaryIndex["AbuseFlagItem"]):  # type: ignore[no-untyped-call]
    """GSI2 over abuse flags: `FLAGS#{detector}#{status}` / `{detected_at}#{flag_id}`."""

    class Meta:
        index_name = GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class PlatformAccessIndex(GlobalSecondaryIndex["PlatformAccessItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class PendingDecisionIndex(GlobalSecondaryIndex["AbuseFlagItem"]):  # type: ignore[no-untyped-call]
    """The outbox index over abuse flags (sparse): `OUTBOX#FLAGS` / `{flag_id}` while a decision's effects
    are pending, with `updated_at` (when the decision was written)."""

    class Meta:
        index_name = OUTBOX_INDEX.name
        projection = IncludeProjection(list(OUTBOX_INDEX.projected or ()))

    outbox_pk = UnicodeAttribute(hash_key=True)
    outbox_sk = UnicodeAttribute(range_key=True)


class AbuseFlagItem(MainTableModel):
    """An abuse flag (`FLAG#{id}` / `META`, indexed), one detection as found (`FLAG#{id}` /
    `DETECTION#{at}`), or the link of an account or trader to it (`ACCOUNT#{id}` or `TRADER#{id}` /
    `FLAG#{id}`: flag_id only). A flag's `META` holds its decision's outbox while effects are pending
    (`pending`, `pending_id`; `outbox_pk`/`outbox_sk`/`updated_at` put it in the sparse outbox index)."""

    flag_id = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    flag = JSONAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    pending = JSONAttribute(null=True)  # `PendingOutcome.to_dict()` but its effects; absent: none pending
    pending_effects = JSONAttribute(null=True)  # the effects still to carry out
    pending_id = UnicodeAttribute(null=True)
    outbox_pk = UnicodeAttribute(null=True)
    outbox_sk = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    by_status = FlagsByStatusIndex()
    by_detector = FlagsByDetectorIndex()
    with_pending = PendingDecisionIndex()


class PlatformAccessItem(MainTableModel):
    """`ACCOUNT#{id}` / `PLATFORM`: the account's access at its platform (propdesk.data.platform_access)."""

    account_id = UnicodeAttribute()
    desired = UnicodeAttribute(null=True)
    desired_since = UTCDateTimeAttribute(null=True)
    desired_by = UnicodeAttribute(null=True)
    desired_kind = UnicodeAttribute(null=True)
    paused_until = UTCDateTimeAttribute(null=True)
    confirmed = UnicodeAttribute(null=True)
    confirmed_at = UTCDateTimeAttribute(null=True)
    pending = JSONAttribute(default=list)
    done = JSONAttribute(default=list)
    lease_holder = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    managed = PlatformAccessIndex()


class FeedStaleIndex(GlobalSecondaryIndex["FeedStaleItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class FeedStaleItem(MainTableModel):
    """`ACCOUNT#{id}` / `FEED_STALE`: the account's trading feed is behind since `since` (only while it is:
    sparse), listed per platform in GSI2 `FEED_STALE#{platform}` (propdesk.data.feed_marks)."""

    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    since = UTCDateTimeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    stale = FeedStaleIndex()


class ErasureItem(MainTableModel):
    """`TRADER#{id}` / `ERASURE#{idempotency key}`: an erasure's answer, kept for replays of the request."""

    trader_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    orders = JSONAttribute(default=list)
    profile = BooleanAttribute(default=False)


MAIN_TABLE_MODELS: tuple[type[Model], ...] = (
    CatalogueEntryItem,
    ProgramVersionItem,
    TraderProfileItem,
    AccountItem,
    TradingEventItem,
    RiskStateItem,
    PlatformFiguresItem,
    BreachItem,
    KycCaseItem,
    KycEffectItem,
    KycSessionItem,
    NotificationItem,
    ResetGroupItem,
    ResetWatermarkItem,
    BreachOverrideItem,
    RateWindowItem,
    LeaderboardItem,
    OrderItem,
    OrderTransitionItem,
    WebhookReceiptItem,
    PaymentLinkItem,
    DiscountCodeItem,
    AddOnItem,
    VelocityItem,
    ReviewFlagItem,
    PayoutItem,
    PayoutLockItem,
    CircuitBreakerItem,
    AbuseFlagItem,
    PlatformAccessItem,
    FeedStaleItem,
    ErasureItem,
)
CONNECTIONS_TABLE_MODELS: tuple[type[Model], ...] = (ConnectionItem,)
REALTIME_TABLE_MODELS: tuple[type[Model], ...] = (SubscriptionItem, SubscriberCountItem, FeedEntryItem)
AUDIT_TABLE_MODELS: tuple[type[Model], ...] = (AuditEntryItem,)
