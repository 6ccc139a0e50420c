from tests.alerts.conftest import every_cap_message_is_checked, public_root  # noqa: F401  (shared)
