"""Settings for every suite.

- Hypothesis: the same examples everywhere, no per-example deadline and no "too slow" health check, because a
  busy 2-core CI machine (or xdist beside mypy) makes timings meaningless and fails properties that hold.
  Each property's own `max_examples` stays as written.
- botocore: every session in the test process shares one data loader. pynamodb gives each model class its
  own connection, each with a new botocore session, and `bind_tables` resets them on every test: without a
  shared loader each new client parses the service and endpoint JSON again (about 0.1 s of CPU per client,
  most of the integration suite's time). The models parsed are the same; only the parsing is saved.
  pynamodb's connections also take their botocore session from one per thread and AWS credentials in the
  environment (what a new session would resolve), which spares building each client's event hooks anew.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("propdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "propdesk"))


@pytest.fixture(scope="session", autouse=True)
def _botocore_parsed_once() -> Iterator[None]:
    import botocore.loaders
    import botocore.session
    import pynamodb.connection.base

    loaders: dict[str | None, Any] = {}
    create_loader = botocore.loaders.create_loader

    def shared_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = create_loader(search_path_string)
        return loaders[search_path_string]

    sessions: dict[tuple[str | None, ...], Any] = {}

    def shared_session() -> Any:
        key = (str(threading.get_ident()), *(os.environ.get(name) for name in SESSION_ENVIRONMENT))
        if key not in sessions:
            sessions[key] = botocore.session.get_session()
        return sessions[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared_loader)
        patch.setattr(pynamodb.connection.base, "get_session", shared_session)
        yield


# What a new botocore session reads once and keeps (credentials, profile); the rest it reads when asked.
SESSION_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)
