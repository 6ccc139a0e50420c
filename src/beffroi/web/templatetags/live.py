"""Live-stream helpers for templates: ``{% live_event_names %}`` (the catalogue's event names for the
page's scripts, as a json_script, so a page listens only to names the server publishes) and
``{% live_stream_url "crisis" %}`` (the URL an htmx ``sse-connect`` opens)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import json_script

from beffroi.core import live
from beffroi.core.events import event_names

register = template.Library()


@register.simple_tag
def live_event_names():
    return json_script(event_names(), "live-events")


@register.simple_tag
def live_stream_url(topics: str = "") -> str:
    """The /live/ URL for ``topics``, resuming after the newest event at render time, so nothing
    published between the page's render and the stream's connection is missed."""
    query = {"last_event_id": live.last_id()}
    if topics:
        query = {"topics": topics, **query}
    return f"{reverse('live:stream')}?{urlencode(query)}"
