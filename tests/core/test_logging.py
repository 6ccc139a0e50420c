"""Log lines: JSON in server mode with the request's id, user and commune; refusals on one line."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from beffroi.core.logging import ClientErrorsOnOneLine, formatter
from beffroi.core.middleware import RequestContextMiddleware


@pytest.fixture
def captured():
    """What the ``beffroi`` and ``django.request`` loggers write through the server-mode handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=True))
    handler.addFilter(ClientErrorsOnOneLine())
    loggers = [logging.getLogger("beffroi"), logging.getLogger("django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def _lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_inside_a_request_carries_request_id_user_and_commune(captured, django_user_model, db):
    user = django_user_model(username="alice")

    def view(request, commune):
        logging.getLogger("beffroi.test").warning("crue en cours")
        return HttpResponse("ok")

    request = RequestFactory().get("/registre/commune/92063/", HTTP_X_REQUEST_ID="req-42")
    request.user = user

    def resolve_and_call(request):  # what Django's handler does between the middleware's two hooks
        middleware.process_view(request, view, (), {"commune": "92063"})
        return view(request, commune="92063")

    middleware = RequestContextMiddleware(resolve_and_call)
    response = middleware(request)
    line = _lines(captured)[-1]
    assert line["event"] == "crue en cours"
    assert (line["request_id"], line["user"], line["commune"]) == ("req-42", "alice", "92063")
    assert line["level"] == "warning" and line["logger"] == "beffroi.test"
    assert response["X-Request-ID"] == "req-42"


def test_a_forged_request_id_is_replaced(captured, db):
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID='x"\n{"level": "critical"}')
    request.user = None
    middleware = RequestContextMiddleware(lambda r: HttpResponse("ok"))
    response = middleware(request)
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_context_does_not_leak_after_the_request(captured, db):
    request = RequestFactory().get("/")
    request.user = None
    RequestContextMiddleware(lambda r: HttpResponse("ok"))(request)
    logging.getLogger("beffroi.test").warning("hors requête")
    line = _lines(captured)[-1]
    assert "request_id" not in line and "user" not in line


def test_an_exception_is_logged_as_text_in_the_json_line(captured):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("beffroi.test").exception("source %s failed", "hubeau")
    line = _lines(captured)[-1]
    assert line["event"] == "source hubeau failed"
    assert "ValueError: boom" in line["exception"]


def test_a_403_is_one_line_without_traceback(captured, client_for):
    assert client_for("lecteur").get("/audit/").status_code == 403
    raw = captured.getvalue()
    refusals = [line for line in _lines(captured) if line["logger"] == "django.request"]
    assert len(refusals) == 1 and "/audit/" in refusals[0]["event"]
    assert "Traceback" not in raw and "exception" not in refusals[0]


def test_a_refusal_line_names_method_path_user_and_reason(captured, client_for, caplog):
    client = client_for("lecteur", username="lea")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.post("/crise/moyens/ajouter/", {"commune": "92063", "name": "x"}).status_code == 403
    raw = captured.getvalue()
    refusals = [line for line in _lines(captured) if line["logger"] == "django.request"]
    assert len(refusals) == 1 and len(raw.strip().splitlines()) >= 1
    line = refusals[0]
    assert (line["method"], line["path"], line["user"]) == ("POST", "/crise/moyens/ajouter/", "lea")
    assert line["reason"] == "crisis.add_resource" and line["status_code"] == 403
    assert "Traceback" not in raw and "exception" not in line and "request" not in line
    # what pytest's caplog holds is the same record: one line, no traceback
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1 and records[0].exc_info is None and "\n" not in records[0].getMessage()
