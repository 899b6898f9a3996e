"""Types every route shares: money and percentages as decimal strings, the error body, paging queries."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Money = Annotated[
    str,
    Field(
        pattern=r"^-?\d+\.\d{2,}$",
        examples=["100000.00"],
        description="An exact amount in the account's currency, as a decimal string (never a float).",
    ),
]
Percent = Annotated[
    str,
    Field(pattern=r"^-?\d+(\.\d+)?$", examples=["42.50"], description="A percentage as a decimal string."),
]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")]
Reason = Annotated[
    str,
    Field(min_length=10, max_length=1000, description="Why: kept in the audit log, shown to reviewers."),
]


class ResponseModel(BaseModel):
    """What a route answers: built by the handler, never parsed from a client."""

    model_config = ConfigDict(frozen=True, defer_build=True)


class RequestModel(BaseModel):
    """A JSON body a client sends: unknown fields are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class QueryModel(BaseModel):
    """Query-string parameters (strings on the wire, coerced and range-checked here)."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True, populate_by_name=True)


class ErrorDetail(ResponseModel):
    code: str = Field(examples=["not_found"], description="Stable, machine-readable.")
    message: str = Field(examples=["no account 'acc-1'"], description="For people; may change.")
    field: str | None = Field(
        default=None, examples=["account_id"], description="The request field at fault, when there is one."
    )


class ErrorBody(ResponseModel):
    """Every refusal, from the handlers and from API Gateway itself, has this shape."""

    error: ErrorDetail


class PageQuery(QueryModel):
    limit: int = Field(default=50, ge=1, le=100, description="Most items in one page.")
    cursor: str | None = Field(
        default=None, min_length=1, max_length=2048, description="`next_cursor` of the previous page."
    )


class TimeRangeQuery(PageQuery):
    from_: AwareDatetime | None = Field(
        default=None, alias="from", description="Only items at or after this instant (ISO-8601, with offset)."
    )
    to: AwareDatetime | None = Field(
        default=None, description="Only items before this instant (ISO-8601, with offset)."
    )

    @field_validator("to")
    @classmethod
    def _after_from(cls, to: AwareDatetime | None, info: ValidationInfo) -> AwareDatetime | None:
        start = info.data.get("from_")
        if to is not None and start is not None and to <= start:
            raise ValueError("must be after `from`")
        return to
