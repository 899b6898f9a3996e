"""Settings for every suite.

- Hypothesis: the same examples everywhere, no per-example deadline and no "too slow" health check, because a
  busy 2-core CI machine (or xdist beside mypy) makes timings meaningless and fails properties that hold.
  Each property's own `max_examples` stays as written.
- botocore: every session in the test process shares one data loader. pynamodb gives each model class its
  own connection, each with a new botocore session, and `bind_tables` resets them on every test: without a
  shared loader each new client parses the service and endpoint JSON again (about 0.1 s of CPU per client,
  most of the integration suite's time). The models parsed are the same; only the parsing is saved.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("propdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "propdesk"))


@pytest.fixture(scope="session", autouse=True)
def _one_botocore_data_loader() -> Iterator[None]:
    import botocore.loaders
    import botocore.session

    loaders: dict[str | None, Any] = {}
    create_loader = botocore.loaders.create_loader

    def shared_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = create_loader(search_path_string)
        return loaders[search_path_string]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared_loader)
        yield
