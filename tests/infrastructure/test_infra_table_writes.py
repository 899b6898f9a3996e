"""Which partitions of the main table each function may write (docs/security.md, "Table writes").

Item writes are granted per partition with a `dynamodb:LeadingKeys` condition (`Data.grant_writes_to`,
`Data.grant_partition_writes`): a function whose code writes only accounts' items cannot touch a payout, an
order or a trader's profile. Reads stay table-wide. `WHOLE_TABLE` names the functions still holding item
writes on the whole table, each with the reason; every other writer is in `PARTITIONS`, and a function in
neither table writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

ITEM_WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
}

# function → the partition keys (LeadingKeys patterns) it may write, over all its write statements
PARTITIONS: dict[str, set[str]] = {
    "risk_recalc": {"ACCOUNT#*"},  # risk snapshots, breaches, deadlines, the account's status
    "daily_reset": {"ACCOUNT#*", "SYSTEM"},  # the reset watermark, and the risk engine's account writes
    "risk_outbox_sweep": {"ACCOUNT#*"},  # the risk engine's pending effects and the outbox's clear
    "provisioning": {"ORDER#*", "CATALOGUE", "ACCOUNT#*", "SYSTEM", "MAIL#*", "TRADER#*"},
    "orders_api": {"ORDER#*", "PAYMENT#*", "CATALOGUE", "VELOCITY#*", "RATE#*"},
    "stripe_webhook": {"ORDER#*", "PAYMENT#*", "CATALOGUE", "WEBHOOK#*", "VELOCITY#*", "TRADER#*"},
    "crypto_webhook": {"ORDER#*", "PAYMENT#*", "CATALOGUE", "WEBHOOK#*"},
    "payouts_api": {"PAYOUT#*", "ACCOUNT#*", "TRADER#*", "RATE#*"},
    "payout_steps": {"PAYOUT#*", "ACCOUNT#*", "RAIL_PAYMENT#*", "SYSTEM"},
    "payout_webhooks": {"PAYOUT#*", "ACCOUNT#*", "SYSTEM"},  # a return after paid, put back
    "payout_scaling": {"ACCOUNT#*"},  # scaling decisions
    "scaling_growth": {"ACCOUNT#*", "SYSTEM"},  # the size, the scale event, the growth time; circuits
    "staff_api": {"ACCOUNT#*", "SYSTEM", "PROGRAM#*", "CATALOGUE", "TRADER#*", "ORDER#*", "RATE#*"},
    "personal_data_retention": {"ORDER#*"},
    "platform_commands": {"ACCOUNT#*", "SYSTEM"},  # access states, the platforms' circuits
    "platform_events": {"ACCOUNT#*"},  # trading events
    "platform_drift": {"SYSTEM"},  # the platforms' circuits its calls go through
    "progression_start": {"ACCOUNT#*"},  # progressions (and chain links) in the account's partition
    "progression_review": {"ACCOUNT#*"},
    "progression_finish": {"ACCOUNT#*"},
    "progression_open": {"ACCOUNT#*", "SYSTEM", "MAIL#*"},  # the next account, its login and e-mail mark
    "progression_api": {"ACCOUNT#*", "RATE#*"},
    "notifications": {"TRADER#*"},  # a trader's notifications
    "stream_projections": {"LEADERBOARD#*"},  # standings (feeds: the realtime table)
    # flags, their links, payout holds, a failed account's status; payouts a decision denies (PAYOUT#); the
    # platform's circuit (SYSTEM) when a denied payout's withdrawal in doubt is put back
    "abuse_detect": {"FLAG#*", "ACCOUNT#*", "TRADER#*", "PAYOUT#*", "SYSTEM"},
    "abuse_deep_pass": {"FLAG#*", "ACCOUNT#*", "TRADER#*", "PAYOUT#*", "SYSTEM"},
    "abuse_api": {"FLAG#*", "ACCOUNT#*", "RATE#*", "PAYOUT#*", "SYSTEM"},  # decisions, holds, rates, denials
    # a decision's pending effects, the clear, and the same put-back as the API's
    "abuse_outbox_sweep": {"FLAG#*", "ACCOUNT#*", "PAYOUT#*", "SYSTEM"},
    "platform_polling": {"ACCOUNT#*", "SYSTEM"},
    "platform_reconciliation": {"ACCOUNT#*", "SYSTEM"},
    "accounts_api": {"TRADER#*", "RATE#*"},  # the display name, rate counters
    "auth_api": {"TRADER#*", "RATE#*"},  # rate counters, identity signals
    "firm_alerts": {"ALERT#*"},
    "mailer": {"MAIL#*"},  # sent-message markers
    "kyc_api": {"KYC#*", "KYCSESSION#*", "SYSTEM", "RATE#*"},
    "kyc_request": {"KYC#*", "KYCSESSION#*", "SYSTEM"},
    "kyc_decision": {"KYC#*", "KYCSESSION#*", "SYSTEM"},
    "kyc_webhook": {"KYC#*", "KYCSESSION#*", "SYSTEM", "TRADER#*"},  # and a decision's identity signals
}

# function → why it still holds unconditioned item writes on the whole table (none today: a new function
# that writes the table names its partitions with `Data.grant_writes_to`, or is listed here with the reason)
WHOLE_TABLE: dict[str, str] = {}


def _main_table_id(synthesized: Synthesized) -> str:
    return next(
        key
        for key, table in synthesized.of_type("AWS::DynamoDB::Table").items()
        if "StreamSpecification" in table["Properties"]
    )


def _main_table_writes(synthesized: Synthesized, name: str) -> list[dict[str, Any]]:
    table = f'"{_main_table_id(synthesized)}"'
    return [
        statement
        for statement in synthesized.function_statements(name)
        if statement["Effect"] == "Allow"
        and set(statement_actions(statement)) & ITEM_WRITES
        and table in json.dumps(statement["Resource"])
    ]


def _leading_keys(statement: dict[str, Any]) -> list[str] | None:
    """The partitions a write statement is limited to; None for an unconditioned (whole table) one."""
    condition = statement.get("Condition")
    if condition is None:
        return None
    assert set(condition) == {"ForAllValues:StringLike"}, condition
    assert set(condition["ForAllValues:StringLike"]) == {"dynamodb:LeadingKeys"}, condition
    keys: list[str] = condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    return keys


def write_grants(synthesized: Synthesized) -> dict[str, set[str] | None]:
    """Every function writing the main table → its partitions (None: the whole table)."""
    grants: dict[str, set[str] | None] = {}
    for name in synthesized.functions():
        statements = _main_table_writes(synthesized, name)
        if not statements:
            continue
        partitions: set[str] | None = set()
        for statement in statements:
            keys = _leading_keys(statement)
            if keys is None:
                partitions = None
                break
            assert partitions is not None
            partitions |= set(keys)
        grants[name] = partitions
    return grants


def test_each_writer_may_write_only_the_partitions_listed_for_it(synthesized: Synthesized) -> None:
    grants = write_grants(synthesized)

    assert {name: partitions for name, partitions in grants.items() if partitions is not None} == PARTITIONS


def test_no_function_but_those_listed_with_a_reason_writes_the_whole_table(synthesized: Synthesized) -> None:
    grants = write_grants(synthesized)

    assert {name for name, partitions in grants.items() if partitions is None} == set(WHOLE_TABLE)


def test_a_function_is_listed_once_and_every_listed_function_exists(synthesized: Synthesized) -> None:
    assert not set(PARTITIONS) & set(WHOLE_TABLE)
    assert set(PARTITIONS) | set(WHOLE_TABLE) <= set(synthesized.functions())
