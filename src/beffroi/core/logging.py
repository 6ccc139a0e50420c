"""Log lines rendered by structlog, for our loggers and the libraries' (through the stdlib).

Server mode writes one JSON object a line (UTC timestamps, the exception as text, no value can
forge a line); embedded mode writes plain console lines. Inside a request, each line carries the
request id, the user and the commune that ``core.middleware.RequestContextMiddleware`` binds with
structlog's context variables.
"""

from __future__ import annotations

import logging

import structlog
from structlog.types import Processor

_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _drop_color_message(logger, method_name, event_dict):
    # uvicorn passes an ANSI-coloured copy of each message as an extra field.
    event_dict.pop("color_message", None)
    return event_dict


def formatter(json: bool = False) -> logging.Formatter:
    """The ``logging`` formatter of settings.LOGGING (``"()": "beffroi.core.logging.formatter"``)."""
    final: list[Processor]
    if json:
        final = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]
    else:
        # Plain traceback: rich's default shows local variables, which may hold personal data.
        final = [
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder(), _drop_color_message],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )


def configure() -> None:
    """Route structlog's own loggers through the stdlib handlers configured by Django."""
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class ClientErrorsOnOneLine(logging.Filter):
    """Django logs a refused request (403 and other 4xx) with the exception's traceback: a refusal is
    expected behaviour, so it becomes one line without the traceback, carrying the method, the path,
    the user and, for a refusal, its reason (the permission or object the exception named)."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            request = getattr(record, "request", None)
            if request is not None:
                record.method = getattr(request, "method", None)
                record.path = getattr(request, "path", None)
                user = getattr(request, "user", None)
                if user is not None and getattr(user, "is_authenticated", False):
                    record.user = user.get_username()
                # the request object itself is not a log field (its repr says the same, less well)
                delattr(record, "request")
            exc = record.exc_info[1] if record.exc_info else None
            if exc is not None:
                record.reason = str(exc)[:200] or exc.__class__.__name__
            record.exc_info = None
            record.exc_text = None
        return True
