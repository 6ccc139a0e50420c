"""Connectors to public sources: one module per source, one base class (``base.Connector``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError

_REGISTRY: dict[str, str] = {}


def get_connector_class(kind: str):
    from beffroi.sources.connectors.base import registry

    classes = registry()
    if kind not in classes:
        raise UserError(
            _("Type de source inconnu : %(kind)r. Types connus : %(known)s.")
            % {"kind": kind, "known": ", ".join(sorted(classes))},
            [Problem(_("type inconnu"), field="kind")],
        )
    return classes[kind]
