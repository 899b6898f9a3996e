"""The Sumsub adapter against Sumsub's documented wire (sample webhooks signed as Sumsub signs, a scripted
API checking the App Token signature)."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import unquote

import httpx
import pytest
from propdesk.adapters.kyc.credentials import TtlSecrets
from propdesk.adapters.kyc.sumsub import SumsubProvider
from propdesk.errors import InvalidInputError, MalformedRequestError
from propdesk.kyc.port import (
    Applicant,
    KycProviderUnavailableError,
    ProviderDecision,
    ProviderProgress,
    WebhookRefusedError,
)

from events import load_event
from tests.doubles.ports import StaticSecrets
from tests.doubles.timing import FakeTime
from tests.unit.kyc.http_stub import ScriptedProvider, calls_for, clock_at, ok
from tests.unit.kyc.wire import (
    SUMSUB_APP_TOKEN,
    SUMSUB_SECRET_ID,
    SUMSUB_SECRET_KEY,
    body_of,
    sumsub_headers,
    sumsub_request_signature,
    sumsub_secret,
)

REFERENCE = "kyc-7c9e6679-7425-40de-944b-e07fc1f90ae7-1"
APPLICANT_ID = "66f2a1c9e4b0a97c1d8e5f21"
LEVEL = "propdesk-kyc"


class World:
    def __init__(self, secret: str | None = None) -> None:
        self.store = StaticSecrets({SUMSUB_SECRET_ID: secret or sumsub_secret()})
        self.time = FakeTime()
        self.api = ScriptedProvider()
        self.clock = clock_at()
        secrets = TtlSecrets(self.store, ttl=300, clock=self.time.monotonic, min_refresh_interval=0)
        self.sumsub = SumsubProvider(
            secrets, SUMSUB_SECRET_ID, calls_for(self.api, "sumsub", self.time), self.clock, LEVEL
        )


@pytest.fixture()
def world() -> World:
    return World()


@pytest.mark.parametrize(
    ("sample", "outcome", "provider_code", "labels"),
    [
        ("sumsub/applicant_reviewed_green", "approved", "applicantReviewed:GREEN", ()),
        (
            "sumsub/applicant_reviewed_red_retry",
            "resubmission_requested",
            "applicantReviewed:RED:RETRY",
            ("DOCUMENT_PAGE_MISSING",),
        ),
        ("sumsub/applicant_reviewed_red_final", "declined", "applicantReviewed:RED:FINAL", ("FORGERY",)),
        ("sumsub/applicant_on_hold", "review", "applicantOnHold", ()),
    ],
)
def test_each_signed_decision_is_normalized_with_sumsubs_codes_kept(
    world: World, sample: str, outcome: str, provider_code: str, labels: tuple[str, ...]
) -> None:
    body = body_of(sample)

    decision = world.sumsub.verify_webhook(body, sumsub_headers(body))

    assert isinstance(decision, ProviderDecision)
    assert (decision.provider, decision.session_id, decision.reference) == ("sumsub", APPLICANT_ID, REFERENCE)
    assert (decision.outcome, decision.provider_code, decision.reason_codes) == (
        outcome,
        provider_code,
        labels,
    )
    assert decision.decided_at is not None and decision.decided_at.tzinfo is not None


def test_a_red_review_without_a_reject_type_declines() -> None:
    world = World()
    document = load_event("sumsub/applicant_reviewed_red_final")
    del document["reviewResult"]["reviewRejectType"]
    body = body_of(document)
    decision = world.sumsub.verify_webhook(body, sumsub_headers(body))
    assert isinstance(decision, ProviderDecision) and decision.outcome == "declined"


def test_the_review_comments_are_not_kept(world: World) -> None:
    body = body_of("sumsub/applicant_reviewed_red_final")
    kept = repr(world.sumsub.verify_webhook(body, sumsub_headers(body)))
    assert "Suspected" not in kept and "contact the company" not in kept


@pytest.mark.parametrize(
    ("sample", "stage", "code"),
    [
        ("sumsub/applicant_pending", "submitted", "applicantPending"),
        ("sumsub/applicant_created", "created", "applicantCreated"),
    ],
)
def test_pending_and_created_are_progress(world: World, sample: str, stage: str, code: str) -> None:
    body = body_of(sample)
    progress = world.sumsub.verify_webhook(body, sumsub_headers(body))
    assert isinstance(progress, ProviderProgress)
    assert (progress.stage, progress.provider_code, progress.session_id) == (stage, code, APPLICANT_ID)


def test_other_notifications_are_progress_of_another_kind(world: World) -> None:
    body = body_of("sumsub/applicant_pending", type="applicantPersonalInfoChanged")
    progress = world.sumsub.verify_webhook(body, sumsub_headers(body))
    assert isinstance(progress, ProviderProgress) and progress.stage == "other"


@pytest.mark.parametrize("algorithm", ["HMAC_SHA1_HEX", "HMAC_SHA256_HEX", "HMAC_SHA512_HEX"])
def test_every_digest_algorithm_sumsub_uses_verifies(world: World, algorithm: str) -> None:
    body = body_of("sumsub/applicant_reviewed_green")
    decision = world.sumsub.verify_webhook(body, sumsub_headers(body, algorithm=algorithm))
    assert isinstance(decision, ProviderDecision)


def test_a_digest_without_its_algorithm_is_read_as_sha256(world: World) -> None:
    body = body_of("sumsub/applicant_reviewed_green")
    headers = sumsub_headers(body)
    del headers["X-Payload-Digest-Alg"]
    assert isinstance(world.sumsub.verify_webhook(body, headers), ProviderDecision)


@pytest.mark.parametrize("algorithm", ["HMAC_MD5_HEX", "hmac_sha256_hex", "HMAC_SHA256_HEX\u00e9"])
def test_an_unknown_algorithm_is_refused(world: World, algorithm: str) -> None:
    body = body_of("sumsub/applicant_reviewed_green")
    headers = {**sumsub_headers(body), "X-Payload-Digest-Alg": algorithm}
    with pytest.raises(WebhookRefusedError) as refused:
        world.sumsub.verify_webhook(body, headers)
    assert refused.value.reason == "unknown_algorithm"


def test_a_digest_under_another_algorithm_than_named_is_refused(world: World) -> None:
    body = body_of("sumsub/applicant_reviewed_green")
    headers = {**sumsub_headers(body, algorithm="HMAC_SHA512_HEX"), "X-Payload-Digest-Alg": "HMAC_SHA256_HEX"}
    with pytest.raises(WebhookRefusedError, match="does not match"):
        world.sumsub.verify_webhook(body, headers)


def test_a_tampered_body_is_refused(world: World) -> None:
    body = body_of("sumsub/applicant_reviewed_red_final")
    headers = sumsub_headers(body)
    with pytest.raises(WebhookRefusedError) as refused:
        world.sumsub.verify_webhook(body.replace(b'"RED"', b'"GREEN"'), headers)
    assert refused.value.reason == "bad_signature"


def test_a_body_signed_with_the_app_secret_key_instead_of_the_webhook_secret_is_refused(world: World) -> None:
    body = body_of("sumsub/applicant_reviewed_green")
    with pytest.raises(WebhookRefusedError):
        world.sumsub.verify_webhook(body, sumsub_headers(body, secret=SUMSUB_SECRET_KEY))


@pytest.mark.parametrize("digest", [None, "", "ä" * 64])
def test_a_missing_or_non_ascii_digest_is_refused(world: World, digest: str | None) -> None:
    body = body_of("sumsub/applicant_reviewed_green")
    headers = {"X-Payload-Digest-Alg": "HMAC_SHA256_HEX"} | (
        {"X-Payload-Digest": digest} if digest is not None else {}
    )
    with pytest.raises(WebhookRefusedError):
        world.sumsub.verify_webhook(body, headers)


def test_signed_bodies_that_are_not_json_or_miss_the_applicant_are_refused_as_such(world: World) -> None:
    broken = b"{not json"
    with pytest.raises(MalformedRequestError):
        world.sumsub.verify_webhook(broken, sumsub_headers(broken))
    shapeless = json.dumps({"type": "applicantReviewed"}).encode()
    with pytest.raises(InvalidInputError) as invalid:
        world.sumsub.verify_webhook(shapeless, sumsub_headers(shapeless))
    assert invalid.value.field == "applicantId"
    answerless = body_of("sumsub/applicant_reviewed_green", reviewResult={"reviewAnswer": "YELLOW"})
    with pytest.raises(InvalidInputError):
        world.sumsub.verify_webhook(answerless, sumsub_headers(answerless))


def test_a_webhook_older_than_any_resend_is_refused_as_a_replay(world: World) -> None:
    world.clock.advance(timedelta(days=5))
    body = body_of("sumsub/applicant_reviewed_green")
    with pytest.raises(WebhookRefusedError) as refused:
        world.sumsub.verify_webhook(body, sumsub_headers(body))
    assert refused.value.reason == "stale"


def test_a_rotated_webhook_secret_is_picked_up(world: World) -> None:
    body = body_of("sumsub/applicant_reviewed_green")
    world.sumsub.verify_webhook(body, sumsub_headers(body))
    world.store.values[SUMSUB_SECRET_ID] = sumsub_secret("rotated-webhook-secret")
    assert isinstance(
        world.sumsub.verify_webhook(body, sumsub_headers(body, "rotated-webhook-secret")), ProviderDecision
    )


# ---- the API ----


def assert_signed(request: httpx.Request) -> None:
    ts = request.headers["X-App-Access-Ts"]
    path = request.url.raw_path.decode()
    expected = sumsub_request_signature(SUMSUB_SECRET_KEY, ts, request.method, path, request.content)
    assert request.headers["X-App-Token"] == SUMSUB_APP_TOKEN
    assert request.headers["X-App-Access-Sig"] == expected
    assert ts == str(int(clock_at().now().timestamp()))


def test_a_session_is_an_applicant_for_our_reference_and_a_websdk_link(world: World) -> None:
    world.api.answer("POST", "/resources/applicants", ok(load_event("sumsub/applicant_created_answer"), 201))
    world.api.answer(
        "POST", "/resources/sdkIntegrations/levels/-/websdkLink", ok(load_event("sumsub/websdk_link_answer"))
    )

    session = world.sumsub.create_session(
        Applicant(REFERENCE, return_url="https://app.propdesk.test/kyc", language="de")
    )

    create, link = world.api.requests
    assert create.url.params["levelName"] == LEVEL
    assert json.loads(create.content) == {"externalUserId": REFERENCE}
    assert json.loads(link.content) == {
        "levelName": LEVEL,
        "userId": REFERENCE,
        "ttlInSecs": 7 * 24 * 3600,
        "redirect": {
            "successUrl": "https://app.propdesk.test/kyc",
            "rejectUrl": "https://app.propdesk.test/kyc",
        },
    }
    assert link.url.params["lang"] == "de"
    for request in (create, link):
        assert_signed(request)
    assert (session.session_id, session.url) == (
        APPLICANT_ID,
        "https://in.sumsub.com/websdk/p/sbx_uN1qExAmPlE",
    )
    assert session.expires_at == world.clock.now() + timedelta(days=7)


def test_an_applicant_that_exists_already_is_reused(world: World) -> None:
    conflict = {
        "description": f"Applicant with external user id '{REFERENCE}' already exists: {APPLICANT_ID}",
        "code": 409,
        "correlationId": "req-1",
    }
    world.api.answer("POST", "/resources/applicants", ok(conflict, 409))
    world.api.answer(
        "POST", "/resources/sdkIntegrations/levels/-/websdkLink", ok({"url": "https://in.sumsub.com/p/2"})
    )
    session = world.sumsub.create_session(Applicant(REFERENCE))
    assert session.session_id == APPLICANT_ID


def test_an_existing_applicant_not_named_in_the_conflict_is_looked_up_by_our_reference(world: World) -> None:
    world.api.answer("POST", "/resources/applicants", ok({"description": "already exists", "code": 409}, 409))
    world.api.answer(
        "GET",
        f"/resources/applicants/-;externalUserId={REFERENCE}/one",
        ok({"id": "5f0000000000000000000042"}),
    )
    world.api.answer(
        "POST", "/resources/sdkIntegrations/levels/-/websdkLink", ok({"url": "https://in.sumsub.com/p/3"})
    )
    session = world.sumsub.create_session(Applicant(REFERENCE))
    lookup = world.api.requests[1]
    assert unquote(lookup.url.raw_path.decode()) == f"/resources/applicants/-;externalUserId={REFERENCE}/one"
    assert_signed(lookup)
    assert session.session_id == "5f0000000000000000000042"


def test_creating_an_applicant_is_retried_after_an_ambiguous_failure(world: World) -> None:
    world.api.answer(
        "POST",
        "/resources/applicants",
        httpx.ReadTimeout("lost"),
        ok(load_event("sumsub/applicant_created_answer")),
    )
    world.api.answer(
        "POST", "/resources/sdkIntegrations/levels/-/websdkLink", ok({"url": "https://in.sumsub.com/p/4"})
    )
    assert world.sumsub.create_session(Applicant(REFERENCE)).session_id == APPLICANT_ID


def test_a_sumsub_outage_is_unavailable_after_the_retries(world: World) -> None:
    world.api.answer("POST", "/resources/applicants", ok({"description": "down"}, 500))
    with pytest.raises(KycProviderUnavailableError, match="500"):
        world.sumsub.create_session(Applicant(REFERENCE))
    assert len(world.api.requests) == 3


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ({"reviewStatus": "completed", "reviewResult": {"reviewAnswer": "GREEN"}}, "approved"),
        (
            {
                "reviewStatus": "completed",
                "reviewResult": {
                    "reviewAnswer": "RED",
                    "reviewRejectType": "RETRY",
                    "rejectLabels": ["BAD_FACE_MATCHING"],
                },
            },
            "resubmission_requested",
        ),
        ({"reviewStatus": "onHold"}, "review"),
        ({"reviewStatus": "pending"}, None),
        ({"reviewStatus": "init"}, None),
    ],
)
def test_polling_reads_the_applicants_review_status(
    world: World, status: dict[str, object], outcome: str | None
) -> None:
    world.api.answer("GET", f"/resources/applicants/{APPLICANT_ID}/status", ok(status))
    decision = world.sumsub.decision(APPLICANT_ID)
    assert (decision.outcome if decision else None) == outcome
    assert_signed(world.api.requests[0])


def test_the_sample_status_answer_is_an_approval(world: World) -> None:
    world.api.answer(
        "GET",
        f"/resources/applicants/{APPLICANT_ID}/status",
        ok(load_event("sumsub/applicant_status_completed")),
    )
    decision = world.sumsub.decision(APPLICANT_ID)
    assert decision is not None and decision.outcome == "approved"
    assert decision.decided_at is not None and decision.decided_at.isoformat() == "2026-11-25T13:06:00+00:00"


def test_the_verified_identity_is_read_from_the_applicants_documents_as_digests_only(world: World) -> None:
    from propdesk.kyc.identity import identity_digests

    info = {
        "firstName": "Jo", "lastName": "Bloggs", "dob": "1990-01-31", "country": "GBR",
        "idDocs": [
            {"idDocType": "SELFIE"}, {"idDocType": "PASSPORT", "country": "GBR", "number": "12 345-678"},
        ],
    }  # fmt: skip
    world.api.answer(
        "GET", f"/resources/applicants/{APPLICANT_ID}/one", ok({"id": APPLICANT_ID, "info": info})
    )

    digests = world.sumsub.verified_identity(APPLICANT_ID)

    person = {"firstName": "jo", "lastName": "BLOGGS", "dateOfBirth": "1990-01-31"}
    assert digests == identity_digests(person, {"country": "gbr", "number": "12345678"})
    assert len(digests) == 2 and "Bloggs" not in "".join(digests)
    (request,) = world.api.requests
    assert request.headers["X-App-Token"] == SUMSUB_APP_TOKEN


def test_an_applicant_without_document_data_has_no_verified_identity(world: World) -> None:
    world.api.answer("GET", f"/resources/applicants/{APPLICANT_ID}/one", ok({"id": APPLICANT_ID, "info": {}}))

    assert world.sumsub.verified_identity(APPLICANT_ID) == ()
