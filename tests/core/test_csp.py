"""The Content-Security-Policy (django-csp): same policy as before, no inline code, nonces."""

from __future__ import annotations

import re

from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from beffroi.settings import _tile_origin


def test_policy_forbids_inline_code_and_framing(client_for):
    csp = client_for("lecteur").get("/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["script-src"] == "'self'"  # no page uses a nonce: nothing inline at all
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["img-src"].startswith("'self' data: blob:")


def test_a_response_that_uses_a_nonce_declares_it():
    # django-csp adds the nonce to the header only when the response used it ({{ CSP_NONCE }}).
    request = RequestFactory().get("/")

    def view(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    response = CSPMiddleware(view)(request)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f"nonce='{nonce}'" in response.content.decode()
    assert (
        CSPMiddleware(view)(RequestFactory().get("/"))["Content-Security-Policy"]
        != response["Content-Security-Policy"]
    )


def test_map_tiles_origin_is_allowed_with_its_subdomains():
    assert (
        _tile_origin("https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png")
        == "https://*.tile.openstreetmap.fr"
    )
    assert _tile_origin("https://tiles.example.fr/{z}/{x}/{y}.png") == "https://tiles.example.fr"
