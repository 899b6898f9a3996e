"""The verified identity of a KYC decision, as digests for the abuse detectors' shared-identity graph (two
traders behind one passport): SHA-256 of `document|{COUNTRY}|{NUMBER}` and of `person|{name}|{date of
birth}`, normalized so that two sightings of one identity agree. The signal capture keys them again with the
firm's secret (`propdesk.abuse.signals`); the data itself is never kept.

Veriff's decision carries the person and the document (`ProviderDecision.identity_digests`); Sumsub's webhook
holds no personal data, so the applicant is read after a review that concluded (`IdentityLookup`). A lookup
that fails loses the signal, never the decision.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from propdesk.kyc.port import KycProviderRejectedError, KycProviderUnavailableError, ProviderDecision
from propdesk.observability import logger

LOOKED_UP = frozenset({"approved", "declined"})  # a concluded review: the documents were read


@runtime_checkable
class IdentityLookup(Protocol):
    def verified_identity(self, session_id: str) -> tuple[str, ...]:
        """The digests of the identity the provider verified in this session (empty when it has none)."""
        ...


def identity_digests(person: Mapping[str, Any], document: Mapping[str, Any]) -> tuple[str, ...]:
    """Digests of `document` (`country`, `number`) and `person` (`firstName`, `lastName`, `dateOfBirth`),
    each only when all its parts are there; normalized (case, spaces, dashes)."""
    digests = []
    number = re.sub(r"[\s\-./]", "", str(document.get("number") or "")).upper()
    country = str(document.get("country") or "").strip().upper()
    if number and country:
        digests.append(_sha256(f"document|{country}|{number}"))
    name = " ".join(f"{person.get('firstName') or ''} {person.get('lastName') or ''}".split()).casefold()
    born = str(person.get("dateOfBirth") or "").strip()
    if name and born:
        digests.append(_sha256(f"person|{name}|{born}"))
    return tuple(digests)


def decision_identity(provider: object, decision: ProviderDecision, applied: bool) -> tuple[str, ...]:
    """The identity digests of a decision: those it carries, else (once: when the decision was applied, a
    redelivery asks nothing) those its provider answers for a concluded review."""
    if decision.identity_digests:
        return decision.identity_digests
    if not applied or decision.outcome not in LOOKED_UP or not isinstance(provider, IdentityLookup):
        return ()
    try:
        return provider.verified_identity(decision.session_id)
    except (KycProviderUnavailableError, KycProviderRejectedError) as error:
        logger.warning("verified identity unavailable", extra={"error": type(error).__name__})
        return ()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
