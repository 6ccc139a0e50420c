"""Connectors to public sources: one module per source, one base class (``base.Connector``)."""

from __future__ import annotations

from beffroi.core.errors import Problem, UserError

_REGISTRY: dict[str, str] = {}


def get_connector_class(kind: str):
    from beffroi.sources.connectors.base import registry

    classes = registry()
    if kind not in classes:
        raise UserError(
            f"Unknown source kind {kind!r}. Known kinds: {', '.join(sorted(classes))}.",
            [Problem("unknown kind", field="kind")],
        )
    return classes[kind]
