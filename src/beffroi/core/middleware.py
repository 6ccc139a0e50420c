"""Cross-cutting HTTP behaviour: login required by default, security headers, request origin."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from beffroi.core.request_context import Origin, reset_origin, set_origin


def content_security_policy() -> str:
    img = "'self' data: blob:"
    if settings.MAP_TILE_URL:
        from urllib.parse import urlsplit

        parts = urlsplit(settings.MAP_TILE_URL.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in settings.MAP_TILE_URL else parts.netloc
        img += f" {parts.scheme}://{host}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages of a logged-in user may hold personal data: never kept by shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class LoginRequiredMiddleware:
    """Every path needs a session except the public ones listed in settings."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not request.user.is_authenticated and not path.startswith(settings.PUBLIC_PATH_PREFIXES):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path_info.startswith("/api/") else "web"
        token = set_origin(Origin(ip=request.META.get("REMOTE_ADDR"), channel=channel))
        try:
            return self.get_response(request)
        finally:
            reset_origin(token)
