"""Identity verification (KYC): asked for (or asked again), approved, declined."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from propdesk.mail.letter import Firm, Letter, Template
from propdesk.ports import EmailContent

KYC_REQUESTED = Template("kyc_requested", 1)
KYC_APPROVED = Template("kyc_approved", 1)
KYC_DECLINED = Template("kyc_declined", 1)


@dataclass(frozen=True, slots=True)
class KycStep:
    account_id: str | None  # the account whose funded stage needs KYC; None when the case names none
    verification_url: str | None = None


def kyc_requested(step: KycStep, again: bool, firm: Firm) -> EmailContent:
    subject = "Please verify your identity again" if again else "Please verify your identity"
    first = (
        "Your identity check could not be completed with the documents you sent (for example, a photo was "
        "unreadable or a document had expired). Please try again."
        if again
        else f"To continue{_with(step)}, we need to verify your identity (KYC)."
    )
    return (
        Letter(KYC_REQUESTED, subject)
        .para(first)
        .para("It takes a few minutes online: an identity document and a selfie.")
        .link("Verify your identity", step.verification_url)
        .render(firm)
    )


def kyc_decided(step: KycStep, decision: Literal["approved", "declined"], firm: Firm) -> EmailContent:
    if decision == "approved":
        return (
            Letter(KYC_APPROVED, "Your identity is verified")
            .para(f"Thank you: your identity is verified. We continue{_with(step)}.")
            .render(firm)
        )
    return (
        Letter(KYC_DECLINED, "We could not verify your identity")
        .para(f"We could not verify your identity, so we cannot continue{_with(step)} for now.")
        .para("If you think this is a mistake, contact the firm's support: a person will look at your case.")
        .render(firm)
    )


def _with(step: KycStep) -> str:
    return f" with account {step.account_id}" if step.account_id else ""
