"""ASGI entry point of the embedded mode: the application, and its task consumer in the same process.

In embedded mode one process does everything: it serves the pages and runs the task queue's
consumer, so that what a task publishes (a delivery report, a rebuilt public page) reaches the live
streams held by this process. The ASGI server (granian) runs the application in a worker process
of its own: the consumer is started there, by the ASGI lifespan startup, and stopped at shutdown.
"""

from __future__ import annotations

from beffroi.asgi import application as served


class EmbeddedApplication:
    def __init__(self, app):
        self.app = app
        self.consumer = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                from beffroi.core.tasks_runtime import start_consumer_thread

                self.consumer = start_consumer_thread()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.consumer is not None:
                    self.consumer.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


application = EmbeddedApplication(served)
