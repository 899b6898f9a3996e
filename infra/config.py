"""Stage and firm settings, read from CDK context (cdk.json, `-c key=value`) and validated.

cdk.json holds the defaults: `stage`, firm-wide keys (`firm_name`, `alarm_email`, `layer_dir`, `asset_dir`)
and a `stages` map with per-stage settings (throttling, log retention). Any key may be overridden on the
command line, e.g. `cdk synth -c stage=prod -c alarm_email=ops@firm.example`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The retentions CloudWatch Logs accepts (days), by the name CDK's RetentionDays gives each.
LOG_RETENTION_NAMES = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip

FIRM_KEYS = (
    "stage", "firm_name", "alarm_email", "layer_dir", "asset_dir", "abuse_thresholds", "abuse_enforcement",
    "local",
)  # fmt: skip
STAGE_KEYS = (
    "throttle_rate_limit", "throttle_burst_limit", "log_retention_days", "api_waf", "api_waf_rate_limit",
)  # fmt: skip


class ConfigError(ValueError):
    """The CDK context does not describe a deployable stage."""


class StageConfig(BaseModel):
    """Everything that differs between firms and stages; the stack reads nothing else from the outside."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Literal["dev", "prod"]
    firm_name: str = Field(min_length=1, max_length=64)
    alarm_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    throttle_rate_limit: int = Field(gt=0, le=10_000, description="steady requests per second, per stage")
    throttle_burst_limit: int = Field(gt=0, le=5_000, description="burst requests, per stage")
    log_retention_days: int
    # The REST API's web ACL (infra/constructs/api_waf.py): on unless `api_waf` is false; the requests one
    # source IP may send to the people's routes in 5 minutes.
    api_waf: bool = True
    api_waf_rate_limit: int = Field(default=2000, ge=100, le=2_000_000_000)
    layer_dir: Path = Path(".build/layer/arm64")
    asset_dir: Path = Path(".build/functions")
    # `-c local=true`: the stack goes into the local cloud (ministack), which lacks a few resource types
    # (WAF associations); those are left out, everything else is the same stack.
    local: bool = False
    # The firm's abuse settings (`propdesk.abuse.firm_settings`): detector thresholds, e.g.
    # "copy_trading.min_repeats=6,scalping.short_hold=30", and automatic enforcement, e.g.
    # "hedging=fail_accounts:high" (empty: defaults, and staff decide everything).
    abuse_thresholds: str = Field(default="", max_length=2000)
    abuse_enforcement: str = Field(default="", max_length=500)

    @field_validator("log_retention_days")
    @classmethod
    def _retention_is_supported(cls, days: int) -> int:
        if days not in LOG_RETENTION_NAMES:
            raise ValueError(f"must be one of {sorted(LOG_RETENTION_NAMES)}")
        return days

    @field_validator("layer_dir", "asset_dir")
    @classmethod
    def _relative_to_project(cls, path: Path) -> Path:
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"

    @property
    def stack_name(self) -> str:
        return f"Propdesk-{self.stage}"

    def resource_name(self, suffix: str) -> str:
        """A physical name unique per stage, e.g. `propdesk-dev-risk-recalc`."""
        return f"propdesk-{self.stage}-{suffix.replace('_', '-')}"


# Documentation-only domains (RFC 2606): an address there reaches nobody.
PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org", "example")


def placeholder_addresses(addresses: Mapping[str, str]) -> list[str]:
    """The names of `addresses` (e-mail addresses or URLs) at a placeholder domain such as example.com."""
    found = []
    for name, address in addresses.items():
        host = address.rpartition("@")[2] if "://" not in address else address.split("://", 1)[1]
        host = host.split("/", 1)[0].split(":", 1)[0].strip().lower().rstrip(".")
        if any(host == domain or host.endswith(f".{domain}") for domain in PLACEHOLDER_DOMAINS):
            found.append(name)
    return found


def refuse_placeholders_in_prod(config: StageConfig, addresses: Mapping[str, str]) -> None:
    """`prod` must name real addresses: the alarm e-mail and the given ones (e.g. checkout return URLs)."""
    if not config.is_prod:
        return
    found = placeholder_addresses({"alarm_email": config.alarm_email, **addresses})
    if found:
        raise ConfigError(
            "the prod stage still has example addresses; set them with `-c NAME=...` or in cdk.json: "
            + ", ".join(sorted(found))
        )


def load_config(context: Callable[[str], Any]) -> StageConfig:
    """Build the config from a context lookup such as `app.node.try_get_context`."""
    stage = context("stage") or "dev"
    stages = context("stages") or {}
    if not isinstance(stages, Mapping) or stage not in stages:
        raise ConfigError(f"cdk.json context has no `stages.{stage}` entry (stage comes from `-c stage=...`)")
    values: dict[str, Any] = {key: stages[stage][key] for key in STAGE_KEYS if key in stages[stage]}
    values.update({key: context(key) for key in (*FIRM_KEYS, *STAGE_KEYS) if context(key) is not None})
    values["stage"] = stage
    try:
        return StageConfig.model_validate(values)
    except ValidationError as error:
        raise ConfigError(f"invalid CDK context for stage {stage!r}:\n{error}") from error
