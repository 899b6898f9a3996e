"""The KYC provider port's contract, held by both adapters against their fakes: sessions, signed webhooks
accepted, tampered / wrongly keyed / replayed ones refused, every outcome normalized the same way."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from propdesk.adapters.kyc.payloads import utc_time
from propdesk.errors import MalformedRequestError
from propdesk.kyc.port import (
    Applicant,
    KycProviderRejectedError,
    KycProviderUnavailableError,
    ProviderDecision,
    ProviderProgress,
    WebhookRefusedError,
)

from events import load_event
from tests.contract.kyc.harness import Harness

REFERENCE = "kyc-7c9e6679-7425-40de-944b-e07fc1f90ae7-1"

OUTCOMES = {
    # page outcome -> (normalized outcome, reason codes per provider)
    "approve": ("approved", {"veriff": (), "sumsub": ()}),
    "decline": ("declined", {"veriff": ("102",), "sumsub": ("FORGERY",)}),
    "resubmit": ("resubmission_requested", {"veriff": ("201",), "sumsub": ("DOCUMENT_PAGE_MISSING",)}),
    "review": ("review", {"veriff": (), "sumsub": ()}),
}


# ---- sessions ----


def test_a_session_is_opened_for_our_reference_and_its_url_is_the_providers_page(provider: Harness) -> None:
    session = provider.adapter.create_session(
        Applicant(REFERENCE, return_url="https://app.propdesk.test/kyc")
    )

    assert (session.provider, session.reference) == (provider.name, REFERENCE)
    assert session.session_id and session.url.startswith(provider.fake.url)
    assert provider.reference_at_fake(session) == REFERENCE
    status, page = provider.open_page(session)
    assert status == 200
    for outcome in OUTCOMES:
        assert f"?outcome={outcome}" in page


def test_opening_the_same_attempt_again_gives_the_same_session(provider: Harness) -> None:
    first = provider.adapter.create_session(Applicant(REFERENCE))
    again = provider.adapter.create_session(Applicant(REFERENCE))
    assert again.session_id == first.session_id


def test_another_attempt_gets_another_session(provider: Harness) -> None:
    first = provider.adapter.create_session(Applicant(REFERENCE))
    second = provider.adapter.create_session(Applicant(REFERENCE[:-1] + "2"))
    assert second.session_id != first.session_id


def test_a_provider_answering_5xx_is_retried(provider: Harness) -> None:
    provider.fake.fail_next(1, 503)
    assert provider.adapter.create_session(Applicant(REFERENCE)).session_id


def test_a_provider_that_stays_down_is_unavailable(provider: Harness) -> None:
    provider.fake.fail_next(10, 503)
    with pytest.raises(KycProviderUnavailableError):
        provider.adapter.create_session(Applicant(REFERENCE))


def test_the_fake_refuses_requests_signed_with_the_wrong_keys_as_the_provider_does(provider: Harness) -> None:
    document = json.loads(provider.secrets.values[provider.secret_id])
    wrong = {key: f"{value}-wrong" for key, value in document.items()}
    if provider.name == "veriff":
        wrong["api_key"] = document["api_key"]  # the key is right, the signature is not
    impostor = provider.make_adapter(json.dumps(wrong))
    with pytest.raises(KycProviderRejectedError, match="401"):
        impostor.create_session(Applicant(REFERENCE))
    with pytest.raises(KycProviderRejectedError, match="401"):
        impostor.decision("any-session")


# ---- outcomes ----


@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_each_outcome_arrives_signed_and_normalized(provider: Harness, outcome: str) -> None:
    session = provider.adapter.create_session(Applicant(REFERENCE))

    provider.complete(session, outcome)

    expected, reasons = OUTCOMES[outcome]
    (decision,) = provider.endpoint.decisions()
    assert (decision.provider, decision.session_id, decision.reference) == (
        provider.name,
        session.session_id,
        REFERENCE,
    )
    assert (decision.outcome, decision.reason_codes) == (expected, reasons[provider.name])
    assert all(r.status == 200 for r in provider.endpoint.received)
    progress = [v for v in provider.endpoint.accepted() if isinstance(v, ProviderProgress)]
    assert progress and all(p.session_id == session.session_id for p in progress)
    assert "submitted" in {p.stage for p in progress}


@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_polling_agrees_with_the_webhook(provider: Harness, outcome: str) -> None:
    session = provider.adapter.create_session(Applicant(REFERENCE))
    assert provider.adapter.decision(session.session_id) is None

    provider.complete(session, outcome)

    polled = provider.adapter.decision(session.session_id)
    (pushed,) = provider.endpoint.decisions()
    assert polled is not None
    assert (polled.outcome, polled.reason_codes, polled.session_id) == (
        pushed.outcome,
        pushed.reason_codes,
        pushed.session_id,
    )


def test_a_review_may_still_be_followed_by_the_providers_decision(provider: Harness) -> None:
    session = provider.adapter.create_session(Applicant(REFERENCE))
    provider.complete(session, "review")
    provider.complete(session, "approve")
    assert [d.outcome for d in provider.endpoint.decisions()] == ["review", "approved"]


# ---- refusals ----


def delivered_decision(provider: Harness) -> tuple[bytes, dict[str, str]]:
    session = provider.adapter.create_session(Applicant(REFERENCE))
    provider.complete(session, "decline")
    last = provider.endpoint.received[-1]
    assert isinstance(last.verified, ProviderDecision)
    return last.body, last.headers


def test_a_tampered_webhook_is_refused(provider: Harness) -> None:
    body, headers = delivered_decision(provider)
    tampered = body.replace(b"decline", b"approve").replace(b"RED", b"GREEN").replace(b"9102", b"9001")
    assert tampered != body
    with pytest.raises(WebhookRefusedError) as refused:
        provider.adapter.verify_webhook(tampered, headers)
    assert refused.value.reason == "bad_signature"


def test_a_webhook_signed_with_an_unknown_key_is_refused(provider: Harness) -> None:
    body, _ = delivered_decision(provider)
    with pytest.raises(WebhookRefusedError):
        provider.adapter.verify_webhook(body, provider.signed_headers(body, secret="an-unknown-key"))


def test_an_unsigned_webhook_is_refused_with_401_at_the_endpoint(provider: Harness) -> None:
    body, _ = delivered_decision(provider)
    assert provider.endpoint.handle(body, {"Content-Type": "application/json"}) == 401


def test_a_redelivery_is_accepted_with_the_same_delivery_id(provider: Harness) -> None:
    body, headers = delivered_decision(provider)
    first = provider.endpoint.decisions()[0]
    again = provider.adapter.verify_webhook(body, headers)
    assert again == first


def test_a_webhook_replayed_after_the_providers_redelivery_window_is_refused(provider: Harness) -> None:
    body, headers = delivered_decision(provider)
    provider.clock.advance(timedelta(days=30))
    with pytest.raises(WebhookRefusedError) as refused:
        provider.adapter.verify_webhook(body, headers)
    assert refused.value.reason == "stale"


def test_a_signed_body_that_is_not_json_is_malformed(provider: Harness) -> None:
    body = b"<xml/>"
    with pytest.raises(MalformedRequestError):
        provider.adapter.verify_webhook(body, provider.signed_headers(body))


# ---- the sample events, signed exactly as the provider signs ----

SAMPLES = {
    "veriff": {
        "decision_approved": "approved",
        "decision_declined": "declined",
        "decision_resubmission_requested": "resubmission_requested",
        "decision_review": "review",
        "decision_expired": "expired",
        "event_started": "started",
        "event_submitted": "submitted",
    },
    "sumsub": {
        "applicant_reviewed_green": "approved",
        "applicant_reviewed_red_final": "declined",
        "applicant_reviewed_red_retry": "resubmission_requested",
        "applicant_on_hold": "review",
        "applicant_pending": "submitted",
        "applicant_created": "created",
    },
}


def test_every_sample_event_signed_as_the_provider_signs_is_accepted_and_read(provider: Harness) -> None:
    for sample, expected in SAMPLES[provider.name].items():
        document = load_event(f"{provider.name}/{sample}")
        body = json.dumps(document, separators=(",", ":")).encode()
        time_of = (document.get("verification") or {}).get("decisionTime") or document.get("createdAtMs")
        if time_of:  # the adapters refuse replays: read each sample on the day it was sent
            moment = utc_time(time_of)
            assert moment is not None
            provider.clock.current = moment + timedelta(minutes=1)

        verified = provider.adapter.verify_webhook(body, provider.signed_headers(body))

        read = verified.outcome if isinstance(verified, ProviderDecision) else verified.stage
        assert read == expected, sample
        with pytest.raises(WebhookRefusedError):
            provider.adapter.verify_webhook(body, provider.signed_headers(body, secret="not-the-secret"))
