"""Every route needs a session except the public trees; the matrix covers each URL pattern."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC_PREFIXES = ("healthz", "accounts/login/", "api/", "i18n/", "public/")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def test_only_the_public_trees_are_reachable_without_a_session():
    routes = list(_routes(get_resolver().url_patterns))
    assert len(routes) > 50
    wrong = [
        route
        for route, view in routes
        if (getattr(view, "login_required", True) is False) != route.startswith(PUBLIC_PREFIXES)
    ]
    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/admin/", "/admin/login/", "/accounts/logout/", "/crise/", "/veille/"]
)
def test_anonymous_visitor_is_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={path}")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz", "/public/abonnement/"])
def test_public_pages_answer_without_a_session(client, path):
    assert client.get(path).status_code in (200, 503)


@pytest.mark.django_db
def test_api_answers_401_not_a_login_redirect(client):
    assert client.get("/api/v1/communes").status_code in (401, 404)
