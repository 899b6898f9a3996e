"""Domain errors: what went wrong, in the domain's words, with a stable code (HTTP mapping: propdesk.http).

Also the two conditions a store reports to its callers, whatever the store is (DynamoDB or in memory): a lost
optimistic write and a cursor the store did not hand out. They carry no storage types."""

from __future__ import annotations


class DomainError(Exception):
    """`message` and `field` are what the caller is told; `internal` (e.g. which fraud check fired, a
    provider's own error text) is for the firm's staff, logged by the edge and never sent to the caller."""

    code = "domain_error"

    def __init__(self, message: str, field: str | None = None, *, internal: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.internal = internal


class NotFoundError(DomainError):
    code = "not_found"


class ProgramVersionMissingError(NotFoundError):
    """An account is pinned to a program version the catalogue does not store (a data fault, not the
    caller's: the account names it, so `field` is `account_id`)."""

    code = "program_version_missing"


class InvalidInputError(DomainError):
    """Input that is well-formed JSON but breaks a rule; `field` names the offending field."""

    code = "validation_error"


class MalformedRequestError(DomainError):
    """The request cannot be read at all (e.g. its body is not JSON)."""

    code = "malformed_request"


class UnauthorizedError(DomainError):
    """The caller could not be authenticated (missing or bad signature, no identity)."""

    code = "unauthorized"


class ForbiddenError(DomainError):
    code = "forbidden"


class MfaRequiredError(ForbiddenError):
    """A finance or admin action by a staff member who does not sign in with MFA (403)."""

    code = "mfa_required"


class ConflictError(DomainError):
    code = "conflict"


class PayloadTooLargeError(DomainError):
    code = "payload_too_large"


class RateLimitedError(DomainError):
    """Too many calls of one kind by one caller: try again after `retry_after_seconds`."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class VersionConflictError(Exception):
    """An optimistic write lost the race: reload and retry."""


class InvalidCursorError(Exception):
    """A pagination cursor that this query did not hand out."""
