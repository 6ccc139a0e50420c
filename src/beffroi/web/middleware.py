"""A bad value that reaches an action without a form to show it on is a 400 page, not a 500.

Views show a refusal next to the field when they have a form; a ``UserError`` they let through
(a value checked only by the action, or by ``core.validation`` when the row is saved) ends here:
the page says what was refused and which field, with status 400. The action's transaction has
rolled back, so nothing was written.
"""

from __future__ import annotations

import copy
import logging
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import Resolver404, resolve

from beffroi.core.errors import UserError

log = logging.getLogger(__name__)


class UserErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UserError) or request.path_info.startswith("/api/"):
            return None
        log.info("refused input: %s %s: %s", request.method, request.path_info, exception.message)
        context = {"message": exception.message, "problems": exception.problems[: UserError.MAX_SHOWN]}
        return render(request, "400.html", context, status=getattr(exception, "http_status", 400))


class RefusalStatusMiddleware:
    """A form posted with a bad value answers 400, not a redirect that hides the refusal.

    Many staff pages follow post/redirect/get: the view adds the refusal as an error message and
    redirects to the page the form sits on. For a refusal that redirect would answer 302, so a
    script, a proxy log or a test cannot tell it from a success. When a POST (not htmx: htmx swaps
    only 2xx, and its views answer their own part) ends in a local redirect after an error
    message, this renders the page it redirects to, with the message next to the form, as a 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method != "POST"
            or response.status_code != 302
            or request.headers.get("HX-Request") == "true"
            or not _has_error_message(request)
        ):
            return response
        target = urlsplit(response["Location"])
        if target.scheme or target.netloc:
            return response
        try:
            match = resolve(target.path)
        except Resolver404:
            return response
        page = copy.copy(request)
        page.method = "GET"
        page.GET = QueryDict(target.query)
        page.POST = QueryDict()
        page.path = page.path_info = target.path
        rendered = match.func(page, *match.args, **match.kwargs)
        if getattr(rendered, "status_code", 0) != 200:
            return response
        if hasattr(rendered, "render") and not getattr(rendered, "is_rendered", True):
            rendered.render()
        rendered.status_code = 400
        return rendered


def _has_error_message(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    queued = getattr(storage, "_queued_messages", None) or []
    return any(m.level >= messages.ERROR for m in queued)
