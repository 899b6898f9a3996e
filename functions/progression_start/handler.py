"""Step Functions task, first of the progression workflow (started by the EventBridge rule on
`account.passed`), input `{account_id, trader_id, passed_at, execution}`: decides what follows the passed
account and stores the progression once per (account, passed-at). Answers `{outcome, review, funded, ...}`
for the workflow's Choice states: `proceed`, or why it stops (`duplicate`: another run carries it;
`rejected`, `end`, `not_passed`, `chain_broken`)."""

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


class StartInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    account_id: str = Field(min_length=1, max_length=128)
    trader_id: str = Field(min_length=1, max_length=128)
    passed_at: AwareDatetime
    execution: str = Field(min_length=1, max_length=2048)  # the workflow run (`$$.Execution.Id`)


@functools.cache
def production_dependencies() -> tuple[Progressions, Clock]:
    settings = ProgressionSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.wiring.life import progressions

    return progressions(settings, event_bus_name=settings.event_bus_name), SystemClock()


def process(
    event: dict[str, Any], context: LambdaContext, deps: tuple[Progressions, Clock]
) -> dict[str, Any]:
    from propdesk.life.workflow import Passed

    service, clock = deps
    task = StartInput.model_validate(event)
    started = service.start(
        Passed(task.account_id, task.trader_id, task.passed_at, task.execution), clock.now()
    )
    logger.info(
        "progression started",
        extra={"account_id": task.account_id, "outcome": started.outcome, "detail": started.detail},
    )
    return started.to_output()


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
