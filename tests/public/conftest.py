from tests.alerts.conftest import every_cap_message_is_checked  # noqa: F401  (every CAP checked)
