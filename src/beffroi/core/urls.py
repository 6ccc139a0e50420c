"""Which URL trees are reachable without a session (Django's ``LoginRequiredMiddleware``)."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver


def _patterns(urls):
    patterns = urls[0] if isinstance(urls, tuple) else urls  # include(): (module or list, app, ns)
    if isinstance(patterns, URLPattern | URLResolver):
        return [patterns]
    return getattr(patterns, "urlpatterns", patterns)


def _walk(urls):
    for pattern in _patterns(urls):
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns)
        else:
            yield pattern


def public(urls):
    """Mark every view under ``urls`` (an ``include()`` result, a pattern list or one pattern) public.

    Used for whole trees that are public by nature (the citizen site, the token-authenticated API),
    so a view added to them later cannot be locked behind the login by omission.
    """
    for pattern in _walk(urls):
        pattern.callback = login_not_required(pattern.callback)
    return urls


def private(urls):
    """Require a session for every view under ``urls``, even those their library marks public.

    Django's admin marks its own login page public and sends anonymous visitors to it: behind
    Beffroi that page would skip the second factor of the roles that need one, so anonymous
    visitors are sent to Beffroi's login (settings.LOGIN_URL) instead.
    """
    for pattern in _walk(urls):
        callback = pattern.callback
        if getattr(callback, "login_required", True) is False or "login_url" in getattr(
            callback, "__dict__", {}
        ):
            view = pattern.callback

            @functools.wraps(view)
            def wrapper(*args, _view=view, **kwargs):
                return _view(*args, **kwargs)

            # wraps() copied the view's attributes: restore the defaults (session, LOGIN_URL).
            wrapper.login_required = True  # type: ignore[attr-defined]
            wrapper.login_url = None  # type: ignore[attr-defined]
            pattern.callback = wrapper
    return urls
