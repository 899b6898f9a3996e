"""Resumes Step Functions tasks waiting on a task token (`.waitForTaskToken`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from propdesk.adapters.aws import stepfunctions_client

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# The token was used already, the task timed out, or the token is garbage: nothing left to resume.
_STALE_TOKEN_ERRORS = {"TaskDoesNotExist", "TaskTimedOut", "InvalidToken"}


class StepFunctionsCallback:
    def __init__(self, client: Callable[[], SFNClient] = stepfunctions_client) -> None:
        self._client = client

    def succeed(self, task_token: str, output: Mapping[str, Any]) -> bool:
        client = self._client()
        return self._call(lambda: client.send_task_success(taskToken=task_token, output=json.dumps(output)))

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        client = self._client()
        return self._call(lambda: client.send_task_failure(taskToken=task_token, error=error, cause=cause))

    @staticmethod
    def _call(send: Callable[[], object]) -> bool:
        try:
            send()
        except ClientError as failure:
            if failure.response.get("Error", {}).get("Code") in _STALE_TOKEN_ERRORS:
                return False
            raise
        return True
