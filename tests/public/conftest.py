from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.alerts.conftest import every_cap_message_is_checked, public_root  # noqa: F401  (shared)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()
