"""Powertools logging, metrics and tracing for every function, created cheaply.

`logger` and `metrics` are built at import (microseconds; the namespace defaults to `propdesk`).
The tracer is different: importing the X-Ray SDK builds two botocore clients (about 200 ms here), so
`observe` creates the Tracer on the first invocation, and only when tracing is on (POWERTOOLS_TRACE_DISABLED
unset and running inside Lambda). Handlers never pay for tracing at import.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "propdesk"))

Handler = TypeVar("Handler", bound=Callable[..., Any])


def tracing_enabled(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    disabled = environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in {"1", "true"}
    return not disabled and bool(environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def observe(handler: Handler) -> Handler:
    """Wrap a Lambda handler with the logger's context, metrics flushing and (lazily) X-Ray tracing."""
    instrumented = metrics.log_metrics(logger.inject_lambda_context(handler, clear_state=True))

    @functools.cache
    def _traced() -> Callable[..., Any]:
        if not tracing_enabled():
            return instrumented
        from aws_lambda_powertools import Tracer

        tracer: Tracer = Tracer()
        wrapped: Callable[..., Any] = tracer.capture_lambda_handler(instrumented, capture_response=False)
        return wrapped

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        return _traced()(event, context)

    return wrapper  # type: ignore[return-value]
