"""Running the task queue: the consumer thread of the embedded mode and task discovery."""

from __future__ import annotations

import importlib
import threading

from django.apps import apps


def load_task_modules() -> None:
    """Import ``beffroi.<app>.tasks`` so every task and periodic task is registered."""
    for config in apps.get_app_configs():
        if config.name.startswith("beffroi."):
            try:
                importlib.import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise


CONSUMER_STOP_SECONDS = 8


class ConsumerThread:
    def __init__(self):
        from huey.contrib.djhuey import HUEY

        load_task_modules()
        # A stop waits for a running task at most this long, then interrupts it: a task that is cut
        # short is safe to cut (the outbox's leases, the sources' next run), a stop that never ends is not.
        self.consumer = HUEY.create_consumer(
            workers=2, worker_type="thread", periodic=True, shutdown_timeout=CONSUMER_STOP_SECONDS
        )
        # Signal handlers can only be installed from the main thread, which the server owns.
        self.consumer._set_signal_handlers = lambda: None
        self.thread = threading.Thread(target=self.consumer.run, name="huey-consumer", daemon=True)

    def start(self) -> ConsumerThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.consumer.stop(graceful=True)


def start_consumer_thread() -> ConsumerThread:
    return ConsumerThread().start()
