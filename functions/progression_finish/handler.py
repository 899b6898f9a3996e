"""Step Functions task, last of the progression workflow, input `{account_id, passed_at}`: closes the passed
account for trading (`platform.disable_requested`, which the platform-command consumer carries out and
audits) and tells the trader (`account.phase_started` or `account.funded`, with the new login and server;
never the password). Events have stable ids: a retry publishes nothing new to consumers."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import ProgressionSettings
from propdesk.observability import logger, observe
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.life.workflow import Progressions
    from propdesk.ports import Clock


class FinishInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    account_id: str = Field(min_length=1, max_length=128)
    passed_at: AwareDatetime


@functools.cache
def production_dependencies() -> tuple[Progressions, Clock]:
    settings = ProgressionSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.wiring.life import progressions

    return progressions(settings, event_bus_name=settings.event_bus_name), SystemClock()


def process(
    event: dict[str, Any], context: LambdaContext, deps: tuple[Progressions, Clock]
) -> dict[str, Any]:
    service, clock = deps
    task = FinishInput.model_validate(event)
    done = service.finish(task.account_id, task.passed_at, clock.now())
    logger.info(
        "progression finished",
        extra={"account_id": task.account_id, "next_account_id": done.next_account_id, "funded": done.funded},
    )
    return {"next_account_id": done.next_account_id, "status": done.status, "funded": done.funded}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
