"""Step Functions task of the progression workflow, input `{account_id, passed_at}`: opens the next account
on the trader's platform (Match-Trader, through provisioning's adapter: rate limit, retries, the shared
circuit breaker; found by our reference before it is created, so a retry never opens a second one), stores
it pinned to the next program's current version and links it to the passed account. A platform outage
raises: the state machine retries with backoff."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import ProgressionOpenSettings
from propdesk.observability import logger, observe
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.life.workflow import Progressions
    from propdesk.ports import Clock


class OpenInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    account_id: str = Field(min_length=1, max_length=128)
    passed_at: AwareDatetime


@functools.cache
def production_dependencies() -> tuple[Progressions, Clock]:
    settings = ProgressionOpenSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.wiring.life import progressions

    return progressions(settings, platform=settings), SystemClock()


def process(
    event: dict[str, Any], context: LambdaContext, deps: tuple[Progressions, Clock]
) -> dict[str, Any]:
    service, clock = deps
    task = OpenInput.model_validate(event)
    opened = service.open_next(task.account_id, task.passed_at, clock.now())
    logger.info(
        "next account opened",
        extra={"account_id": task.account_id, "next_account_id": opened.next_account_id},
    )
    return {"next_account_id": opened.next_account_id, "status": opened.status}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
