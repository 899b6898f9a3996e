"""What a KYC case transition asks its caller to do next. The case is pure: it decides, the caller acts
(calls the provider, sends the notice, resumes the workflow, schedules the expiry) and feeds the results back
as further transitions (`case.session_created`, `case.receive`, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from propdesk.kyc.port import Outcome

NoticeTopic = Literal["verify", "resubmit", "in_review", "approved", "declined", "expired"]
Conclusion = Literal["approved", "declined", "expired"]


@dataclass(frozen=True, slots=True)
class CreateSession:
    """Open the provider session for this attempt (`KycProvider.create_session` with this reference), then
    report it with `case.session_created`. Safe to repeat: the case keeps the first session it is told of."""

    trader_id: str
    attempt_reference: str
    attempt_number: int


@dataclass(frozen=True, slots=True)
class NotifyTrader:
    """Tell the trader (e-mail, in-app): a link to verify or to resubmit, that staff are reviewing, or the
    conclusion. `url` is the provider's page for `verify` and `resubmit`."""

    trader_id: str
    topic: NoticeTopic
    url: str | None = None


@dataclass(frozen=True, slots=True)
class WaitForStaff:
    """The provider wants a person to decide: put the case in the staff review queue (staff answer with
    `case.staff_decide`)."""

    trader_id: str
    attempt_reference: str
    provider_code: str
    reason_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FlagForStaff:
    """Something staff should look at although the case does not change: the provider reversed a decision the
    case already concluded on (e.g. declined a trader it had approved)."""

    trader_id: str
    reason: str
    provider_outcome: Outcome
    provider_code: str


@dataclass(frozen=True, slots=True)
class ResumeWorkflow:
    """The case concluded: resume every workflow waiting on it (`waiters`, their callback tokens; possibly
    none) with `outcome`, and announce it (`kyc.approved`, `kyc.declined`, ...)."""

    trader_id: str
    outcome: Conclusion
    waiters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScheduleExpiry:
    """Call `case.expire_if_due` at `at` (the firm's decision window ends then); an earlier schedule for the
    same case is superseded."""

    trader_id: str
    at: datetime


Action = CreateSession | NotifyTrader | WaitForStaff | FlagForStaff | ResumeWorkflow | ScheduleExpiry
