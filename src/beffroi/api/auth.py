"""API authentication: a browser session (with CSRF on writes) or a bearer token."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from beffroi.accounts.selectors import user_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def default_auth():
    # The token first: a request that carries one must not fail on the session's CSRF check.
    return [TokenAuth(), SessionAuth()]
