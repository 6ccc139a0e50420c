from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "beffroi.core"
    label = "core"
    verbose_name = "Beffroi core"

    def ready(self) -> None:
        from beffroi.core import checks  # noqa: F401 - registers the server-mode checks
        from beffroi.core.events import discover
        from beffroi.core.logging import configure
        from beffroi.core.validation import connect

        configure()
        # No Beffroi row is saved with an over-long text, an unknown choice or a NUL byte.
        connect()
        # Each app declares its live events in its own ``live_events`` module.
        discover()
