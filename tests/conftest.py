"""Hypothesis settings for every suite: the same examples everywhere, no per-example deadline and no
"too slow" health check, because a busy 2-core CI machine (or xdist beside mypy) makes timings meaningless
and fails properties that hold. Each property's own `max_examples` stays as written."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("propdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "propdesk"))
