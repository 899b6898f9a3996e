"""Step Functions task (`.waitForTaskToken`) of the progression workflow, input `{account_id, passed_at,
task_token}`: parks the token on the progression until a staff member decides through
`POST /v1/staff/accounts/{id}/progression-review` (which resumes the workflow with `{decision}`); resumes at
once when the decision was made already. Publishes a `firm.alert` so staff see the review waiting."""

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


class ReviewInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    account_id: str = Field(min_length=1, max_length=128)
    passed_at: AwareDatetime
    task_token: str = Field(min_length=1, max_length=2048)


@functools.cache
def production_dependencies() -> tuple[Progressions, Clock]:
    settings = ProgressionSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.wiring.life import progressions

    return progressions(settings, event_bus_name=settings.event_bus_name, callback=True), SystemClock()


def process(
    event: dict[str, Any], context: LambdaContext, deps: tuple[Progressions, Clock]
) -> dict[str, Any]:
    service, clock = deps
    task = ReviewInput.model_validate(event)
    state = service.await_review(task.account_id, task.passed_at, task.task_token, clock.now())
    logger.info("progression review", extra={"account_id": task.account_id, "state": state})
    return {"account_id": task.account_id, "state": state}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
