"""Commands to run Beffroi: demo, serve, worker, manage."""

from __future__ import annotations

import argparse
import os
import sys

from django.conf import settings


def register(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="Set up the embedded demo (SQLite) and serve it on 127.0.0.1.")
    demo.add_argument("--port", type=int, default=settings.PORT, help="HTTP port (default PORT or 8000).")
    demo.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    demo.add_argument("--no-serve", action="store_true", help="Set up only; do not start the server.")
    demo.set_defaults(handler=run_demo)

    serve = subparsers.add_parser(
        "serve", help="Serve the web app (ASGI under uvicorn). Server mode unless --embedded."
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (server mode).")
    serve.add_argument(
        "--embedded", action="store_true", help="Embedded mode: one process, task consumer thread inside."
    )
    serve.set_defaults(handler=run_serve)

    worker = subparsers.add_parser(
        "worker", help="Run the task consumer (Huey): source polling, dispatch, rebuilds."
    )
    worker.add_argument(
        "--threads", type=int, default=None, help="Worker threads (default BEFFROI_WORKER_THREADS or 2)."
    )
    worker.add_argument("--embedded", action="store_true", help="Use the embedded (SQLite) queue.")
    worker.set_defaults(handler=run_worker)

    manage = subparsers.add_parser("manage", help="Django management commands (passthrough).", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=run_manage)


def run_manage(args) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["beffroi manage", *args.args])
    return 0


def follow_served_address(host: str, port: int) -> str:
    """Without ``BEFFROI_PUBLIC_URL``, citizen links point at the host and port served here.

    Django's settings are loaded before the command runs, so the setting is filled now (for this
    process: demo loader, embedded task consumer) and the environment too (for the server's worker
    processes, granian's or uvicorn's, which load the settings afresh).
    """
    from django.conf import settings

    if not settings.PUBLIC_URL_FROM_ENV:
        shown = "localhost" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a name to show
        if ":" in shown and not shown.startswith("["):
            shown = f"[{shown}]"
        settings.PUBLIC_URL = f"http://{shown}:{port}"
        os.environ["BEFFROI_PUBLIC_URL"] = settings.PUBLIC_URL
    return settings.PUBLIC_URL


def run_demo(args) -> int:
    from beffroi.demo import set_up_demo

    follow_served_address(args.host, args.port)
    set_up_demo()
    if args.no_serve:
        return 0
    return _serve_embedded(args.host, args.port)


def _refuse_without_requirements() -> int:
    """Exit status 2 with the server-mode system check errors (core/checks.py), 0 when all is set."""
    from django.core.checks import ERROR, run_checks

    errors = [e for e in run_checks(tags=["beffroi"], include_deployment_checks=True) if e.level >= ERROR]
    for error in errors:
        print(f"beffroi: configuration error: {error.msg}", file=sys.stderr)
        if error.hint:
            print(f"  {error.hint}", file=sys.stderr)
    return 2 if errors else 0


def run_serve(args) -> int:
    from django.core.management import call_command

    if refused := _refuse_without_requirements():
        return refused
    call_command("collectstatic", interactive=False, verbosity=0)
    follow_served_address(args.host, args.port)
    if args.embedded:
        return _serve_embedded(args.host, args.port)
    import uvicorn

    uvicorn.run(
        "beffroi.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Django reads X-Forwarded-For (BEFFROI_PROXY_COUNT) and X-Forwarded-Proto itself, so the
        # client address follows one rule; uvicorn must not rewrite it first.
        proxy_headers=False,
        log_level="info",
        # uvicorn's lines go through Django's LOGGING (structlog, JSON in server mode), not its own.
        log_config=None,
    )
    return 0


# Requests the embedded server holds at once, live streams included (granian's backpressure).
EMBEDDED_MAX_REQUESTS = 10_000
EMBEDDED_KILL_SECONDS = 15


def _serve_embedded(host: str, port: int) -> int:
    from granian import Granian
    from granian.constants import Interfaces, TaskImpl
    from granian.log import LogLevels

    from beffroi.public.site import build_site

    # The feeds carry absolute links: rewrite them for the address served now.
    build_site()
    print(f"Beffroi sert sur http://{host}:{port}/ (Ctrl+C pour arrêter)", flush=True)
    # granian (Rust HTTP, one worker process) on its RSGI interface: the citizen files are answered
    # with one call into granian, Django through an ASGI adapter (rsgi_embedded.py, measured by
    # bench/bench_public.py). The worker runs the task consumer too, so tasks and live streams
    # share one process.
    Granian(
        "beffroi.rsgi_embedded:application",
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        workers=1,
        websockets=False,
        # Each request's coroutine as a Rust task, not an asyncio.Task: the per-request cost of the
        # citizen page is then the Python in rsgi_embedded.py alone (bench_public: about 1.5 times
        # the rate). granian falls back to asyncio on Python 3.12+ (and says so).
        task_impl=TaskImpl(settings.EMBEDDED_TASKS),
        # Two Rust threads carry the HTTP work beside Python's (one or two measured alike under RSGI
        # on a 2-core machine, bench_public; two helped under ASGI).
        runtime_threads=2,
        # granian admits at most ``backpressure`` requests at once (by default its backlog, 1024): each
        # open live stream (SSE) holds one, so a crisis with thousands of dashboards and displays
        # open would queue every request behind them (bench_monitoring runs 5,000 streams).
        backlog=4096,
        backpressure=EMBEDDED_MAX_REQUESTS,
        # A worker that has not stopped this long after Ctrl+C is killed: granian's worker can deadlock
        # in its runtime teardown while another thread waits for the GIL (granian issue #875), and
        # the task consumer's own stop is bounded below this (CONSUMER_STOP_SECONDS).
        workers_kill_timeout=EMBEDDED_KILL_SECONDS,
        log_level=LogLevels.warning,
    ).serve()
    return 0


def run_worker(args) -> int:
    from huey.contrib.djhuey import HUEY

    if refused := _refuse_without_requirements():
        return refused

    from beffroi.core.tasks_runtime import load_task_modules

    load_task_modules()
    threads = args.threads or settings.WORKER_THREADS
    consumer = HUEY.create_consumer(workers=threads, worker_type="thread", periodic=True)
    print(f"Beffroi worker: {threads} threads on {type(HUEY.storage).__name__}", file=sys.stderr, flush=True)
    consumer.run()
    return 0
