"""A registry key that does not match the data is an operator's problem, not a crash: any page that
reaches the registry answers a French 503 page saying what to do (the API answers its JSON problem,
the CLI exits 2), and nothing is written since the check runs before any read or write."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from beffroi.registry.crypto import RegistryKeyError


class RegistryKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RegistryKeyError):
            return None
        return render(request, "registry/key_error.html", {"message": exception.message}, status=503)
