"""Shared test settings: hypothesis runs derandomized (reproducible in CI) and without deadlines."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "chainrule",
    derandomize=True,
    deadline=None,
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("chainrule")
