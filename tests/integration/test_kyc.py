"""The KYC functions in-process against DynamoDB Local, with real event shapes: the Step Functions tasks'
inputs (`events/stepfunctions/kyc_*`), API Gateway's REST proxy events for the webhooks (signed exactly as
Veriff and Sumsub sign) and for the trader's and staff's routes. The providers are the local fakes speaking
their APIs (sessions created over HTTP, hosted pages played with `?outcome=...`), their webhooks delivered
through a stand-in for API Gateway that hands the fake's request to `kyc_webhook`."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from propdesk.adapters.kyc.calls import ProviderCalls, provider_breaker
from propdesk.adapters.kyc.credentials import TtlSecrets
from propdesk.adapters.kyc.sumsub import SumsubProvider
from propdesk.adapters.kyc.veriff import VeriffProvider
from propdesk.data.audit import AuditLog
from propdesk.data.kyc import DynamoKycCaseStore, KycRepository
from propdesk.kyc.case import KycPolicy, Need, open_case
from propdesk.kyc.port import KycProvider, KycProviderName
from propdesk.kyc.store import Announcement, Resumption, SessionLink, StaleCaseError
from propdesk.kyc.verification import KycVerification
from propdesk.resilience.retry import RetryPolicy
from propdesk.services.rate_limits import RateLimiter

from events import SAMPLE_SUMSUB_WEBHOOK_SECRET, SAMPLE_VERIFF_SECRET, load_event
from fakes.sumsub import LEVEL_NAME, FakeSumsub
from fakes.veriff import FakeVeriff
from functions.kyc_api import handler as kyc_api
from functions.kyc_decision import handler as kyc_decision
from functions.kyc_request import handler as kyc_request
from functions.kyc_webhook import handler as kyc_webhook
from tests.doubles.abuse import RecordingSignals
from tests.doubles.ports import (
    InMemoryEventPublisher,
    InMemoryWorkflowCallback,
    ManualClock,
    StaticSecrets,
)
from tests.doubles.rate_limits import InMemoryWindowCounter
from tests.integration.api.api_world import claims, request
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import LambdaContextStub, json_of

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"  # the trader of the Step Functions samples
TOKEN = load_event("stepfunctions/kyc_request_input")["task_token"]
SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:propdesk/dev/kyc"
FAST = (0.05, 0.1, 0.2)


class Gateway:
    """Stands in for API Gateway in front of `kyc_webhook`: a provider's POST becomes the REST proxy event
    (the sample's envelope, the request's raw body and headers) and the handler's status is the answer."""

    def __init__(self, desk: Desk) -> None:
        gateway = self
        self.desk = desk
        self.statuses: list[int] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = gateway.deliver(body.decode(), dict(self.headers.items()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def deliver(self, body: str, headers: dict[str, str]) -> int:
        event = webhook_event(self.desk.name, body, headers)
        status = int(self.desk.webhook(event)["statusCode"])
        self.statuses.append(status)
        return status

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Desk:
    """The KYC functions over DynamoDB Local, wired to one provider's fake."""

    name: KycProviderName
    fake: Any  # FakeVeriff | FakeSumsub
    adapter: KycProvider
    clock: ManualClock
    publisher: InMemoryEventPublisher
    callback: InMemoryWorkflowCallback
    signals: RecordingSignals = field(default_factory=RecordingSignals)

    @property
    def kyc(self) -> KycVerification:
        policy = KycPolicy(max_attempts=3, decision_window=timedelta(days=14))
        return KycVerification(
            DynamoKycCaseStore(), self.clock, self.publisher, self.callback, policy, self.adapter,
            return_url="https://app.example.com/kyc/done",
        )  # fmt: skip

    # ---- the functions, with their real inputs

    def open_step(self, trader_id: str = TRADER) -> dict[str, Any]:
        task = load_event("stepfunctions/kyc_open_input") | {"trader_id": trader_id}
        return kyc_request.process(task, CONTEXT, self.kyc)

    def wait_step(self, trader_id: str = TRADER, token: str = TOKEN) -> dict[str, Any]:
        self.callback.valid_tokens.add(token)
        task = load_event("stepfunctions/kyc_request_input") | {"trader_id": trader_id, "task_token": token}
        return kyc_request.process(task, CONTEXT, self.kyc)

    def check_step(self, trader_id: str = TRADER) -> dict[str, Any]:
        task = load_event("stepfunctions/kyc_check_input") | {"trader_id": trader_id}
        return kyc_decision.process(task, CONTEXT, self.kyc)

    def announce_step(self, trader_id: str = TRADER) -> dict[str, Any]:
        task = load_event("stepfunctions/kyc_decision_input") | {"trader_id": trader_id}
        return kyc_decision.process(task, CONTEXT, self.kyc)

    def webhook(self, event: dict[str, Any]) -> dict[str, Any]:
        deps = kyc_webhook.Dependencies(self.kyc, self.adapter, self.clock, self.signals)
        return kyc_webhook.process(event, CONTEXT, deps)

    def api(self, operation_id: str, identity: dict[str, str], **parts: Any) -> dict[str, Any]:
        deps = kyc_api.Dependencies(self.kyc, self.clock, RateLimiter(InMemoryWindowCounter()))
        return kyc_api.process(request(operation_id, identity=identity, **parts), CONTEXT, deps)

    # ---- people

    def my_kyc(self, trader_id: str = TRADER) -> dict[str, Any]:
        answer = self.api("getMyKyc", self.who(trader_id, "trader"))
        assert answer["statusCode"] == 200, answer["body"]
        return json_of(answer)

    def who(self, subject: str, *groups: str) -> dict[str, str]:
        return claims(subject, *groups, expires=self.clock.now() + timedelta(hours=1))

    def open_page(self, url: str, outcome: str) -> None:
        """The trader on the provider's page; its webhooks reach kyc_webhook through the gateway."""
        with urllib.request.urlopen(f"{url}?outcome={outcome}", timeout=10) as page:  # noqa: S310 - local
            assert page.status == 200
        assert self.fake.webhooks.wait(15), "the fake's webhooks are still pending"

    def webhook_statuses(self) -> list[int]:
        """What kyc_webhook answered to each of the fake's delivery attempts."""
        return [status for d in self.fake.webhooks.log for status in d.statuses if status is not None]

    def published(self, detail_type: str) -> list[dict[str, Any]]:
        return [e.model_dump(mode="json") for e in self.publisher.of_type(detail_type)]


def webhook_event(provider: str, body: str, headers: dict[str, str]) -> dict[str, Any]:
    """API Gateway's REST proxy event for a provider's webhook POST (the sample's envelope)."""
    event = load_event(f"apigateway/post_{provider}_webhook")
    event["body"] = body
    event["headers"] = dict(headers)
    event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    return event


def _calls(provider: str, url: str) -> ProviderCalls:
    return ProviderCalls(
        provider,
        url,
        provider_breaker(provider, time.monotonic, failure_threshold=50),
        time.sleep,
        retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
        timeout=5.0,
    )


def _desk(name: KycProviderName) -> Desk:
    clock = ManualClock(datetime.fromtimestamp(time.time(), UTC))
    adapter: KycProvider
    fake: Any
    if name == "veriff":
        fake = FakeVeriff(retry_delays=FAST)
        fake.start()
        secret = {"api_key": fake.api_key, "shared_secret": fake.shared_secret}
        secrets = TtlSecrets(StaticSecrets({SECRET_ID: json.dumps(secret)}))
        adapter = VeriffProvider(secrets, SECRET_ID, _calls("veriff", fake.url), clock)
    else:
        fake = FakeSumsub(retry_delays=FAST)
        fake.start()
        secret = {
            "app_token": fake.app_token,
            "secret_key": fake.secret_key,
            "webhook_secret": fake.webhook_secret,
        }
        secrets = TtlSecrets(StaticSecrets({SECRET_ID: json.dumps(secret)}))
        adapter = SumsubProvider(secrets, SECRET_ID, _calls("sumsub", fake.url), clock, LEVEL_NAME)
    return Desk(name, fake, adapter, clock, InMemoryEventPublisher(), InMemoryWorkflowCallback())


@pytest.fixture(params=["veriff", "sumsub"])
def desk(fresh_tables: TableNames, request: pytest.FixtureRequest) -> Iterator[Desk]:
    built = _desk(request.param)
    gateway = Gateway(built)
    built.fake.webhook_url = gateway.url
    yield built
    gateway.stop()
    built.fake.stop()


@pytest.fixture()
def veriff(fresh_tables: TableNames) -> Iterator[Desk]:
    built = _desk("veriff")
    gateway = Gateway(built)
    built.fake.webhook_url = gateway.url
    yield built
    gateway.stop()
    built.fake.stop()


# ---- the trader's way through the gate, with each provider


def test_the_gate_gives_the_trader_a_link_a_resubmission_a_new_one_and_the_approval_resumes_it(
    desk: Desk,
) -> None:
    assert desk.open_step() == {
        "trader_id": TRADER,
        "outcome": "open",
        "status": "awaiting_trader",
        "attempt": 1,
    }
    assert desk.wait_step()["outcome"] == "open"
    first = desk.my_kyc()
    assert first | {"verification_url": "<link>", "deadline": "<deadline>"} == {
        "status": "awaiting_trader", "awaiting": "trader", "verification_url": "<link>",
        "provider": desk.name, "attempt": 1, "attempts_allowed": 3, "deadline": "<deadline>",
        "decided_at": None,
    }  # fmt: skip
    assert first["verification_url"].startswith(desk.fake.url)
    [requested] = desk.published("kyc.requested")
    assert requested["url"] == first["verification_url"] and requested["resubmission"] is False

    desk.open_page(first["verification_url"], "resubmit")

    second = desk.my_kyc()
    assert (second["status"], second["attempt"]) == ("awaiting_trader", 2)
    assert second["verification_url"] != first["verification_url"]
    assert desk.published("kyc.requested")[-1]["resubmission"] is True
    assert desk.callback.succeeded == []  # the same wait goes on

    desk.open_page(second["verification_url"], "approve")

    assert desk.callback.succeeded == [(TOKEN, {"trader_id": TRADER, "outcome": "approved"})]
    assert desk.announce_step()["outcome"] == "approved"
    [approved] = desk.published("kyc.approved")
    assert approved | {"event_id": "-", "occurred_at": "-"} == {
        "event_id": "-", "occurred_at": "-", "trader_id": TRADER, "account_id": "acc-1001",
        "verification_id": approved["verification_id"], "attempt": 2, "decided_by": "provider",
        "reason": None, "reason_codes": [],
    }  # fmt: skip
    assert desk.my_kyc()["status"] == "approved"
    assert KycRepository().get(TRADER).status == "approved"  # type: ignore[union-attr]  # what payouts read
    assert set(desk.webhook_statuses()) == {200}


def test_a_redelivered_account_passed_never_resets_an_approved_case(desk: Desk) -> None:
    desk.open_step()
    desk.open_page(desk.my_kyc()["verification_url"], "approve")
    sessions = len(desk.fake.requests)

    again = desk.open_step()

    assert again["outcome"] == "approved"
    assert len(desk.fake.requests) == sessions  # no call to the provider
    desk.wait_step(token="token-of-the-redelivered-run")
    assert desk.callback.succeeded[-1] == (
        "token-of-the-redelivered-run",
        {"trader_id": TRADER, "outcome": "approved"},
    )
    assert len(desk.published("kyc.approved")) == 1


# ---- the webhooks' edge


@pytest.mark.parametrize(
    ("provider", "secret"),
    [("veriff", {"api_key": "k", "shared_secret": SAMPLE_VERIFF_SECRET}),
     ("sumsub", {"app_token": "t", "secret_key": "s", "webhook_secret": SAMPLE_SUMSUB_WEBHOOK_SECRET})],
)  # fmt: skip
def test_the_providers_signed_samples_verify_and_name_a_session_no_case_holds_so_they_are_refused(
    fresh_tables: TableNames, provider: KycProviderName, secret: dict[str, str]
) -> None:
    desk = _desk(provider)
    try:
        secrets = TtlSecrets(StaticSecrets({SECRET_ID: json.dumps(secret)}))
        calls = _calls(provider, desk.fake.url)
        adapter: KycProvider = (
            VeriffProvider(secrets, SECRET_ID, calls, desk.clock, max_age=None)
            if provider == "veriff"
            else SumsubProvider(secrets, SECRET_ID, calls, desk.clock, LEVEL_NAME, max_age=None)
        )
        desk = replace(desk, adapter=adapter)
        sample = load_event(f"apigateway/post_{provider}_webhook")
        tampered = sample | {"body": sample["body"].replace("GREEN", "RED").replace("9001", "9102")}
        other = "sumsub" if provider == "veriff" else "veriff"

        unknown, forged = desk.webhook(sample), desk.webhook(tampered)
        wrong_route = desk.webhook(load_event(f"apigateway/post_{other}_webhook"))

        assert (unknown["statusCode"], json_of(unknown)["error"]["code"]) == (404, "unknown_kyc_session")
        assert (forged["statusCode"], json_of(forged)["error"]["code"]) == (401, "webhook_refused")
        assert wrong_route["statusCode"] == 404
        assert desk.publisher.published == []
    finally:
        desk.fake.stop()


def test_a_webhook_for_a_session_the_case_never_held_is_refused_though_it_names_the_trader(
    veriff: Desk,
) -> None:
    veriff.open_step()
    # A session opened at Veriff for the same attempt whose answer was lost: the case never held it.
    body = json.dumps({"verification": {"vendorData": f"kyc-{TRADER}-1"}}).encode()
    headers = {"X-AUTH-CLIENT": veriff.fake.api_key, "Content-Type": "application/json"}
    url = f"{veriff.fake.url}/v1/sessions"
    create = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - local
    with urllib.request.urlopen(create, timeout=10) as answer:  # noqa: S310 - the local fake
        orphan = json.loads(answer.read())["verification"]["id"]

    veriff.fake.complete(orphan, "approve")
    assert veriff.fake.webhooks.wait(15)

    assert veriff.webhook_statuses()[-1] == 404
    assert veriff.my_kyc()["status"] == "awaiting_trader"


# ---- review by staff, through the API


def test_a_review_waits_for_staff_who_approve_through_the_api_audited_and_the_gate_resumes(
    veriff: Desk,
) -> None:
    veriff.open_step()
    veriff.wait_step()
    veriff.open_page(veriff.my_kyc()["verification_url"], "review")
    assert veriff.my_kyc() | {"deadline": "-"} == {
        "status": "awaiting_staff", "awaiting": "staff", "verification_url": None, "provider": "veriff",
        "attempt": 1, "attempts_allowed": 3, "deadline": "-", "decided_at": None,
    }  # fmt: skip
    risk, support = veriff.who("staff-risk", "risk"), veriff.who("staff-support", "support")

    queue = veriff.api("listKycReviews", risk)
    case = veriff.api("getKycCase", support, path={"trader_id": TRADER})
    refused = veriff.api("decideKyc", support, path={"trader_id": TRADER},
                         body={"decision": "approve", "reason": "documents checked by a person"})  # fmt: skip
    decided = veriff.api("decideKyc", risk, path={"trader_id": TRADER},
                         body={"decision": "approve", "reason": "documents checked by a person"})  # fmt: skip

    assert [c["trader_id"] for c in json_of(queue)["cases"]] == [TRADER]
    assert json_of(case)["provider_code"] == "9121:review" and "verification_url" not in json_of(case)
    assert json_of(case)["waiting_workflows"] == 1
    assert refused["statusCode"] == 403
    assert decided["statusCode"] == 200, decided["body"]
    answer = json_of(decided)
    assert (answer["status"], answer["decided_by"], answer["decision_reason"]) == (
        "approved", "staff-risk", "documents checked by a person",
    )  # fmt: skip
    assert veriff.callback.succeeded == [(TOKEN, {"trader_id": TRADER, "outcome": "approved"})]
    [approved] = veriff.published("kyc.approved")
    assert (approved["decided_by"], approved["reason"]) == ("staff", "documents checked by a person")
    [entry] = AuditLog().for_subject(f"TRADER#{TRADER}").items
    assert (entry.action, entry.actor, entry.actor_roles, entry.reason) == (
        "kyc.approve", "staff-risk", ("risk",), "documents checked by a person",
    )  # fmt: skip
    assert (entry.before or {})["status"] == "awaiting_staff" and (entry.after or {})["status"] == "approved"
    assert json_of(veriff.api("listKycReviews", risk))["cases"] == []


def test_staff_decisions_need_a_case_in_review_and_reopening_a_declined_one_gives_a_new_link(
    veriff: Desk,
) -> None:
    admin = veriff.who("staff-admin", "admin")
    reason = {"reason": "the trader sent a clearer passport scan"}
    veriff.open_step()

    early = veriff.api("decideKyc", admin, path={"trader_id": TRADER}, body={"decision": "approve", **reason})
    missing = veriff.api("reopenKyc", admin, path={"trader_id": "nobody"}, body=reason)
    absurd = veriff.api(
        "decideKyc", admin, path={"trader_id": "x" * 2000}, body={"decision": "approve", **reason}
    )
    veriff.open_page(veriff.my_kyc()["verification_url"], "decline")
    declined = veriff.my_kyc()
    reopened = veriff.api("reopenKyc", admin, path={"trader_id": TRADER}, body=reason)
    twice = veriff.api("reopenKyc", admin, path={"trader_id": TRADER}, body=reason)

    assert (early["statusCode"], json_of(early)["error"]["code"]) == (409, "kyc_case_conflict")
    assert (missing["statusCode"], json_of(missing)["error"]["code"]) == (404, "no_kyc_case")
    assert (absurd["statusCode"], json_of(absurd)["error"]["code"]) == (404, "no_kyc_case")
    assert declined["status"] == "declined"
    assert reopened["statusCode"] == 200 and json_of(reopened)["status"] == "awaiting_trader"
    assert twice["statusCode"] == 409
    mine = veriff.my_kyc()
    assert (mine["attempt"], mine["status"]) == (1, "awaiting_trader") and mine["verification_url"]
    assert [e.action for e in AuditLog().for_subject(f"TRADER#{TRADER}").items] == ["kyc.reopen"]


# ---- the firm's window


def test_the_check_after_a_timed_out_wait_expires_an_overdue_case_and_answers_the_gate(veriff: Desk) -> None:
    veriff.open_step()
    veriff.wait_step()
    veriff.clock.advance(timedelta(days=10))
    assert veriff.check_step()["outcome"] == "open"  # not due: the gate waits again

    veriff.clock.advance(timedelta(days=5))
    checked = veriff.check_step()

    assert checked == {"trader_id": TRADER, "outcome": "expired", "status": "expired", "attempt": 1}
    assert veriff.callback.succeeded == [(TOKEN, {"trader_id": TRADER, "outcome": "expired"})]
    [expired] = veriff.published("kyc.expired")
    assert expired["reason"] == "decision_window_elapsed"


def test_the_wait_step_without_a_case_fails_the_run(veriff: Desk) -> None:
    with pytest.raises(Exception, match="no KYC case"):
        veriff.wait_step("trader-without-a-case")


# ---- the store on DynamoDB


def test_a_stale_save_writes_nothing_and_effects_stay_until_settled(fresh_tables: TableNames) -> None:
    store = DynamoKycCaseStore()
    at = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    case = open_case(None, TRADER, Need("funded", "acc-1"), KycPolicy(), at).case
    event = Announcement("e1", "firm.alert", {"event_id": "e1"})
    resume = Resumption("r1", "token-1", {"outcome": "approved"})

    assert store.save(case, 0, [event, resume], [SessionLink("veriff", "s-1", TRADER)]) == 1
    with pytest.raises(StaleCaseError):
        store.save(case, 0, [Announcement("e2", "firm.alert", {})], [SessionLink("veriff", "s-2", TRADER)])

    stored = store.load(TRADER)
    assert stored is not None and (stored.case, stored.version) == (case, 1)
    assert sorted(e.effect_id for e in stored.pending) == ["e1", "r1"]
    assert (store.trader_of_session("veriff", "s-1"), store.trader_of_session("veriff", "s-2")) == (
        TRADER,
        None,
    )
    assert store.trader_of_session("sumsub", "s-1") is None
    store.settle(TRADER, ["e1", "r1", "unknown"])
    assert store.load(TRADER).pending == ()  # type: ignore[union-attr]
    assert KycRepository().get(TRADER).status == "pending"  # type: ignore[union-attr]


def test_the_case_and_its_effects_live_in_their_own_kyc_partition_never_among_the_traders_items(
    fresh_tables: TableNames,
) -> None:
    import boto3

    store = DynamoKycCaseStore()
    at = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    case = open_case(None, TRADER, Need("funded", "acc-1"), KycPolicy(), at).case
    store.save(case, 0, [Announcement("e1", "firm.alert", {"event_id": "e1"})])

    client = boto3.client("dynamodb")

    def keys_in(partition: str) -> list[str]:
        found = client.query(
            TableName=fresh_tables.main,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition}},
        )
        return sorted(item["sk"]["S"] for item in found["Items"])

    assert keys_in(f"KYC#{TRADER}") == ["KYC", "KYC#EFFECT#e1"]
    assert keys_in(f"TRADER#{TRADER}") == []


def test_a_sumsub_review_records_the_verified_identity_read_from_the_applicant_as_the_traders_signal(
    fresh_tables: TableNames,
) -> None:
    from propdesk.kyc.identity import identity_digests

    desk = _desk("sumsub")
    gateway = Gateway(desk)
    desk.fake.webhook_url = gateway.url
    try:
        desk.open_step()
        desk.wait_step()
        (applicant,) = desk.fake.applicants.values()
        desk.fake.identify(applicant["id"], "Jo", "Bloggs", "1990-01-31", "GBR", "123456789")

        desk.open_page(desk.my_kyc()["verification_url"], "approve")
    finally:
        gateway.stop()
        desk.fake.stop()

    person = {"firstName": "Jo", "lastName": "Bloggs", "dateOfBirth": "1990-01-31"}
    expected = identity_digests(person, {"country": "GBR", "number": "123456789"})
    assert [(t, kind, raw) for t, kind, raw, _ in desk.signals.captured] == [
        (TRADER, "kyc_identity", digest) for digest in expected
    ]
