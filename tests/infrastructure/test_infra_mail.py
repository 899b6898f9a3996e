"""E-mail in the template: the firm's SES identity, the mailer fed by the bus through a queue with a DLQ, and
least privilege: only the mailer and provisioning may send, from the firm's address on its identity only; the
mailer reads a trader's address from this pool only and writes nothing but its markers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.mail import MAILED_DETAIL_TYPE_PREFIXES, MAILED_DETAIL_TYPES, MAILER_CONCURRENCY
from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

SENDER = "no-reply@mail.propdesk.example"


def _identity_id(synthesized: Synthesized) -> str:
    (identity_id,) = synthesized.of_type("AWS::SES::EmailIdentity")
    return identity_id


def _send_statements(synthesized: Synthesized, name: str) -> list[dict[str, Any]]:
    return [
        statement
        for statement in synthesized.function_statements(name)
        if any(action.startswith("ses:") for action in statement_actions(statement))
    ]


def test_the_firm_sends_from_an_ses_identity_of_its_domain(synthesized: Synthesized) -> None:
    identity = synthesized.resources[_identity_id(synthesized)]["Properties"]
    assert identity["EmailIdentity"] == "mail.propdesk.example"


def test_only_the_mailer_and_provisioning_may_send_mail(synthesized: Synthesized) -> None:
    senders = {name for name in synthesized.functions() if _send_statements(synthesized, name)}
    assert senders == {"mailer", "provisioning", "progression_open"}  # the next account's login


@pytest.mark.parametrize("name", ["mailer", "provisioning", "progression_open"])
def test_sending_is_ses_send_email_on_the_identity_from_the_firms_address_only(
    synthesized: Synthesized, name: str
) -> None:
    (statement,) = _send_statements(synthesized, name)
    assert statement_actions(statement) == ["ses:SendEmail"]
    assert f'"{_identity_id(synthesized)}"' in json.dumps(statement["Resource"])
    assert "*" not in json.dumps(statement["Resource"])
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": SENDER}}


def test_both_senders_sign_with_the_firms_name(synthesized: Synthesized) -> None:
    for name in ("mailer", "provisioning", "progression_open"):
        variables = synthesized.functions()[name][1]["Environment"]["Variables"]
        assert variables["MAIL_FROM"] == f"{synthesized.context['firm_name']} <{SENDER}>"
        assert variables["FIRM_NAME"] == synthesized.context["firm_name"]


def test_mail_worthy_events_reach_the_mailer_through_a_queue_reporting_item_failures(
    synthesized: Synthesized,
) -> None:
    expected = [*MAILED_DETAIL_TYPES, *({"prefix": prefix} for prefix in MAILED_DETAIL_TYPE_PREFIXES)]
    (rule,) = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("detail-type") == expected
    ]
    assert rule["EventPattern"]["source"] == ["propdesk"]
    (target,) = rule["Targets"]
    assert "DeadLetterConfig" in target
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = synthesized.resources[queue_id]["Properties"]
    timeout = synthesized.functions()["mailer"][1]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    dead_letters = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert dead_letters in synthesized.dead_letter_queue_ids()
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
            "FunctionName": {"Ref": synthesized.function_id("mailer")},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": MAILER_CONCURRENCY},
        },
    )


def test_the_mailer_reads_addresses_from_its_pool_only(synthesized: Synthesized) -> None:
    (pool_id,) = synthesized.of_type("AWS::Cognito::UserPool")
    cognito = [
        statement
        for statement in synthesized.function_statements("mailer")
        if any(action.startswith("cognito-idp:") for action in statement_actions(statement))
    ]
    (statement,) = cognito
    assert statement_actions(statement) == ["cognito-idp:AdminGetUser"]
    assert statement["Resource"] == {"Fn::GetAtt": [pool_id, "Arn"]}


def test_the_mailer_writes_only_its_markers(synthesized: Synthesized) -> None:
    item_writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    writes = [
        statement
        for statement in synthesized.function_statements("mailer")
        if statement["Effect"] == "Allow" and item_writes & set(statement_actions(statement))
    ]
    (statement,) = writes
    assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["MAIL#*"]}}
