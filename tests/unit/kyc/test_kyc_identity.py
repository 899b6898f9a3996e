"""A KYC decision's identity for the abuse detectors: what the decision carries (Veriff), else asked of the
provider once a concluded review was applied (Sumsub); a failed lookup loses the signal, not the decision."""

from __future__ import annotations

from datetime import UTC, datetime

from propdesk.kyc.identity import decision_identity
from propdesk.kyc.port import KycProviderUnavailableError, Outcome, ProviderDecision


def decision(outcome: Outcome = "approved", digests: tuple[str, ...] = ()) -> ProviderDecision:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    return ProviderDecision(
        "sumsub", "app-1", "ref-1", outcome, "applicantReviewed:GREEN", (), at, "d1", digests
    )


class Lookup:
    def __init__(self, fails: bool = False) -> None:
        self.asked: list[str] = []
        self.fails = fails

    def verified_identity(self, session_id: str) -> tuple[str, ...]:
        self.asked.append(session_id)
        if self.fails:
            raise KycProviderUnavailableError("down")
        return ("doc-digest", "person-digest")


def test_the_digests_a_decision_carries_are_used_without_asking() -> None:
    lookup = Lookup()
    assert decision_identity(lookup, decision(digests=("d",)), applied=True) == ("d",)
    assert lookup.asked == []


def test_a_concluded_review_applied_is_looked_up_once_and_a_redelivery_asks_nothing() -> None:
    lookup = Lookup()
    assert decision_identity(lookup, decision("declined"), applied=True) == ("doc-digest", "person-digest")
    assert decision_identity(lookup, decision("declined"), applied=False) == ()
    assert decision_identity(lookup, decision("review"), applied=True) == ()
    assert lookup.asked == ["app-1"]


def test_a_provider_that_cannot_look_up_or_fails_gives_no_identity() -> None:
    assert decision_identity(object(), decision(), applied=True) == ()
    assert decision_identity(Lookup(fails=True), decision(), applied=True) == ()
