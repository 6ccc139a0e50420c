"""Cross-cutting HTTP behaviour: headers django-csp does not set, request origin and log context.

Login is required by Django's own ``LoginRequiredMiddleware`` (public views are marked in
``beffroi/urls.py``); the Content-Security-Policy comes from django-csp
(``settings.CONTENT_SECURITY_POLICY``).
"""

from __future__ import annotations

import re
import uuid

import structlog
from django.http import HttpRequest, HttpResponse

from beffroi.core.request_context import Origin, client_ip, reset_origin, set_origin

# An incoming request id (from the proxy) is kept only if it cannot forge or flood a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages of a logged-in user may hold personal data: never kept by shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class RequestContextMiddleware:
    """Who acts and from where, for the audit trail (``Origin``) and for every log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path_info.startswith("/api/") else "web"
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        user = getattr(request, "user", None)
        token = set_origin(Origin(ip=client_ip(request), channel=channel))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id,
            user=user.get_username() if user is not None and user.is_authenticated else None,
        )
        try:
            response = self.get_response(request)
            response.headers.setdefault("X-Request-ID", request_id)
            return response
        finally:
            structlog.contextvars.clear_contextvars()
            reset_origin(token)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        commune = view_kwargs.get("commune") or request.GET.get("commune")
        if commune:
            structlog.contextvars.bind_contextvars(commune=str(commune)[:10])
        return None
