"""The Veriff adapter against Veriff's wire: sample events signed as Veriff signs, a scripted API."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest
from propdesk.adapters.kyc.credentials import TtlSecrets
from propdesk.adapters.kyc.veriff import VeriffProvider
from propdesk.errors import InvalidInputError, MalformedRequestError
from propdesk.kyc.port import (
    Applicant,
    KycProviderRejectedError,
    KycProviderUnavailableError,
    ProviderDecision,
    ProviderProgress,
    WebhookRefusedError,
)

from events import SAMPLE_VERIFF_SECRET, load_event
from tests.doubles.ports import StaticSecrets
from tests.doubles.timing import FakeTime
from tests.unit.kyc.http_stub import ScriptedProvider, calls_for, clock_at, ok
from tests.unit.kyc.wire import (
    VERIFF_API_KEY,
    VERIFF_SECRET_ID,
    body_of,
    veriff_headers,
    veriff_secret,
)

REFERENCE = "kyc-7c9e6679-7425-40de-944b-e07fc1f90ae7-1"


class World:
    def __init__(self, secret: str | None = None) -> None:
        self.store = StaticSecrets({VERIFF_SECRET_ID: secret or veriff_secret()})
        self.time = FakeTime()
        self.api = ScriptedProvider()
        self.clock = clock_at()
        self.secrets = TtlSecrets(self.store, ttl=300, clock=self.time.monotonic, min_refresh_interval=0)
        self.veriff = VeriffProvider(
            self.secrets, VERIFF_SECRET_ID, calls_for(self.api, "veriff", self.time), self.clock
        )


@pytest.fixture()
def world() -> World:
    return World()


@pytest.mark.parametrize(
    ("sample", "outcome", "provider_code", "reasons"),
    [
        ("veriff/decision_approved", "approved", "9001:approved", ()),
        ("veriff/decision_declined", "declined", "9102:declined", ("102",)),
        (
            "veriff/decision_resubmission_requested",
            "resubmission_requested",
            "9103:resubmission_requested",
            ("201",),
        ),
        ("veriff/decision_review", "review", "9121:review", ()),
        ("veriff/decision_expired", "expired", "9104:expired", ()),
    ],
)
def test_each_signed_decision_is_normalized_with_veriffs_codes_kept(
    world: World, sample: str, outcome: str, provider_code: str, reasons: tuple[str, ...]
) -> None:
    world.clock.current = world.clock.current + timedelta(days=7)  # the expired sample is a week later
    body = body_of(sample)

    decision = world.veriff.verify_webhook(body, veriff_headers(body))

    expected = load_event(sample)["verification"]
    assert isinstance(decision, ProviderDecision)
    assert (decision.provider, decision.session_id, decision.reference) == (
        "veriff",
        expected["id"],
        expected["vendorData"],
    )
    assert (decision.outcome, decision.provider_code, decision.reason_codes) == (
        outcome,
        provider_code,
        reasons,
    )
    assert decision.decided_at is not None and decision.decided_at.isoformat().startswith(
        expected["decisionTime"][:19]
    )


def test_a_decision_keeps_no_personal_data(world: World) -> None:
    body = body_of("veriff/decision_approved")
    decision = world.veriff.verify_webhook(body, veriff_headers(body))
    kept = repr(decision)
    for personal in ("JANE", "TRADER", "AB1234567", "1990-01-01", "203.0.113.7"):
        assert personal not in kept


@pytest.mark.parametrize(
    ("sample", "stage"), [("veriff/event_started", "started"), ("veriff/event_submitted", "submitted")]
)
def test_started_and_submitted_events_are_progress(world: World, sample: str, stage: str) -> None:
    body = body_of(sample)
    progress = world.veriff.verify_webhook(body, veriff_headers(body))
    assert isinstance(progress, ProviderProgress)
    assert (progress.stage, progress.session_id, progress.reference) == (
        stage,
        "12df6045-3846-3e45-946a-14fa6136d78b",
        REFERENCE,
    )


def test_a_redelivery_has_the_same_delivery_id_and_another_event_another(world: World) -> None:
    body = body_of("veriff/decision_approved")
    first = world.veriff.verify_webhook(body, veriff_headers(body))
    again = world.veriff.verify_webhook(body, veriff_headers(body))
    other_body = body_of("veriff/decision_declined")
    other = world.veriff.verify_webhook(other_body, veriff_headers(other_body))
    assert first.delivery_id == again.delivery_id != other.delivery_id


def test_a_tampered_body_is_refused(world: World) -> None:
    body = body_of("veriff/decision_declined")
    headers = veriff_headers(body)
    tampered = body.replace(b'"code":9102', b'"code":9001')
    with pytest.raises(WebhookRefusedError) as refused:
        world.veriff.verify_webhook(tampered, headers)
    assert refused.value.reason == "bad_signature"
    assert refused.value.field == "X-HMAC-SIGNATURE"


def test_a_body_signed_with_another_key_is_refused(world: World) -> None:
    body = body_of("veriff/decision_approved")
    with pytest.raises(WebhookRefusedError, match="does not match"):
        world.veriff.verify_webhook(body, veriff_headers(body, secret="someone-elses-secret"))


def test_an_unsigned_body_is_refused(world: World) -> None:
    body = body_of("veriff/decision_approved")
    with pytest.raises(WebhookRefusedError) as refused:
        world.veriff.verify_webhook(body, {"Content-Type": "application/json"})
    assert refused.value.reason == "missing_signature"


@pytest.mark.parametrize("signature", ["é" * 64, "\udcff" * 64, "zz", " "])
def test_a_non_ascii_or_garbage_signature_is_a_refusal_not_an_exception(world: World, signature: str) -> None:
    body = body_of("veriff/decision_approved")
    with pytest.raises(WebhookRefusedError):
        world.veriff.verify_webhook(body, {"X-HMAC-SIGNATURE": signature})


def test_the_signature_header_is_found_whatever_its_case(world: World) -> None:
    body = body_of("veriff/decision_approved")
    signature = veriff_headers(body)["X-HMAC-SIGNATURE"].upper()
    decision = world.veriff.verify_webhook(body, {"x-hmac-signature": f" {signature} "})
    assert isinstance(decision, ProviderDecision)


def test_a_signed_body_that_is_not_json_is_malformed(world: World) -> None:
    body = b'{"status": "success", "verification": '
    with pytest.raises(MalformedRequestError):
        world.veriff.verify_webhook(body, veriff_headers(body))


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"status": "success", "verification": {"id": "v", "code": "x"}}, "verification.code"),
        ({"status": "success", "verification": {"id": "v", "code": 9999}}, "verification.code"),
        ({"status": "success"}, "id"),
        ([1, 2], "body"),
    ],
)
def test_signed_json_of_the_wrong_shape_is_invalid_input(world: World, document: object, field: str) -> None:
    body = json.dumps(document).encode()
    with pytest.raises(InvalidInputError) as invalid:
        world.veriff.verify_webhook(body, veriff_headers(body))
    assert invalid.value.field == field


def test_a_decision_older_than_any_redelivery_is_refused_as_a_replay(world: World) -> None:
    world.clock.advance(timedelta(days=30))
    body = body_of("veriff/decision_approved")
    with pytest.raises(WebhookRefusedError) as refused:
        world.veriff.verify_webhook(body, veriff_headers(body))
    assert refused.value.reason == "stale"


def test_a_rotated_secret_is_picked_up_without_a_cold_start(world: World) -> None:
    body = body_of("veriff/decision_approved")
    world.veriff.verify_webhook(body, veriff_headers(body))  # the old secret is cached now
    world.store.values[VERIFF_SECRET_ID] = veriff_secret("the-new-shared-secret")

    decision = world.veriff.verify_webhook(body, veriff_headers(body, secret="the-new-shared-secret"))

    assert isinstance(decision, ProviderDecision)


def test_during_a_rotation_the_previous_secret_still_verifies() -> None:
    world = World(veriff_secret("the-new-shared-secret", previous_shared_secret=SAMPLE_VERIFF_SECRET))
    body = body_of("veriff/decision_approved")
    assert isinstance(world.veriff.verify_webhook(body, veriff_headers(body)), ProviderDecision)


# ---- the API ----


def created(session_id: str = "12df6045-3846-3e45-946a-14fa6136d78b") -> httpx.Response:
    answer = load_event("veriff/session_created")
    answer["verification"]["id"] = session_id
    return ok(answer, 201)


def test_a_session_is_created_with_our_reference_and_signed(world: World) -> None:
    world.api.answer("POST", "/v1/sessions", created())

    session = world.veriff.create_session(
        Applicant(REFERENCE, return_url="https://app.propdesk.test/kyc/done")
    )

    (request,) = world.api.requests
    assert json.loads(request.content) == {
        "verification": {"vendorData": REFERENCE, "callback": "https://app.propdesk.test/kyc/done"}
    }
    assert request.headers["X-AUTH-CLIENT"] == VERIFF_API_KEY
    expected = hmac.new(SAMPLE_VERIFF_SECRET.encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-HMAC-SIGNATURE"] == expected
    assert (session.provider, session.reference, session.session_id) == (
        "veriff",
        REFERENCE,
        "12df6045-3846-3e45-946a-14fa6136d78b",
    )
    assert session.url == load_event("veriff/session_created")["verification"]["url"]


def test_creating_the_same_attempt_again_reuses_its_session(world: World) -> None:
    world.api.answer("POST", "/v1/sessions", created("first"), created("second"))
    first = world.veriff.create_session(Applicant(REFERENCE))
    again = world.veriff.create_session(Applicant(REFERENCE))
    assert first == again
    assert len(world.api.requests) == 1


def test_a_busy_veriff_is_retried_with_jitter_then_answers(world: World) -> None:
    world.api.answer("POST", "/v1/sessions", ok({}, 503), ok({}, 429, {"Retry-After": "0.5"}), created())
    session = world.veriff.create_session(Applicant(REFERENCE))
    assert session.session_id == "12df6045-3846-3e45-946a-14fa6136d78b"
    assert len(world.time.sleeps) == 2
    assert world.time.sleeps[1] >= 0.5  # Retry-After honoured


def test_a_session_post_that_may_have_reached_veriff_is_not_retried(world: World) -> None:
    world.api.answer("POST", "/v1/sessions", httpx.ReadTimeout("no answer"), created())
    with pytest.raises(KycProviderUnavailableError):
        world.veriff.create_session(Applicant(REFERENCE))
    assert len(world.api.requests) == 1


def test_a_refused_session_request_is_rejected_without_retries(world: World) -> None:
    world.api.answer(
        "POST", "/v1/sessions", ok({"status": "fail", "message": "Mandatory X-AUTH-CLIENT"}, 401)
    )
    with pytest.raises(KycProviderRejectedError, match="401"):
        world.veriff.create_session(Applicant(REFERENCE))
    assert len(world.api.requests) == 1


def test_the_circuit_opens_after_repeated_outages_and_fails_fast(world: World) -> None:
    world.api.answer("GET", "/v1/sessions/s-1/decision", ok({}, 503))
    for _ in range(5):
        with pytest.raises(KycProviderUnavailableError):
            world.veriff.decision("s-1")
    calls = len(world.api.requests)
    with pytest.raises(KycProviderUnavailableError, match="not calling it"):
        world.veriff.decision("s-1")
    assert len(world.api.requests) == calls


def test_polling_signs_the_session_id_and_normalizes_the_decision(world: World) -> None:
    decided = load_event("veriff/decision_declined")
    session_id = decided["verification"]["id"]
    world.api.answer("GET", f"/v1/sessions/{session_id}/decision", ok(decided))

    decision = world.veriff.decision(session_id)

    (request,) = world.api.requests
    expected = hmac.new(SAMPLE_VERIFF_SECRET.encode(), session_id.encode(), hashlib.sha256).hexdigest()
    assert request.headers["X-HMAC-SIGNATURE"] == expected
    assert decision is not None and (decision.outcome, decision.reason_codes) == ("declined", ("102",))


def test_polling_a_session_without_a_decision_answers_none(world: World) -> None:
    world.api.answer("GET", "/v1/sessions/s-2/decision", ok({"status": "success", "verification": None}))
    assert world.veriff.decision("s-2") is None


def test_a_secret_without_an_api_key_is_reported_not_sent() -> None:
    world = World(json.dumps({"shared_secret": "x"}))
    with pytest.raises(KycProviderRejectedError, match="api_key"):
        world.veriff.create_session(Applicant(REFERENCE))
    assert world.api.requests == []
