"""The libraries' own (English) reasons, said in the user's language: GEOS's geometry validity
reasons and frictionless's notes on a schema error. An unknown reason is kept as the library says it."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

GEOS_REASONS = {
    "Self-intersection": gettext_lazy("auto-intersection"),
    "Ring Self-intersection": gettext_lazy("auto-intersection d'un anneau"),
    "Too few points in geometry component": gettext_lazy(
        "trop peu de points dans une partie de la géométrie"
    ),
    "Hole lies outside shell": gettext_lazy("un trou est hors du contour extérieur"),
    "Holes are nested": gettext_lazy("des trous sont imbriqués"),
    "Interior is disconnected": gettext_lazy("l'intérieur est en plusieurs morceaux"),
    "Nested shells": gettext_lazy("des contours extérieurs sont imbriqués"),
    "Duplicate Rings": gettext_lazy("anneaux en double"),
    "Invalid Coordinate": gettext_lazy("coordonnée invalide"),
    "Ring is not closed": gettext_lazy("anneau non fermé"),
    "Repeated Point": gettext_lazy("point répété"),
}
GEOS_RE = re.compile(r"^(?P<reason>[^\[]+)\[(?P<x>[^ \]]+) (?P<y>[^\]]+)\]$")


def geometry_reason(text: str) -> str:
    """``Self-intersection[2.15 48.85]`` (shapely's ``explain_validity``) → « auto-intersection au
    point 2.15 48.85 »."""
    m = GEOS_RE.match(text.strip())
    reason = m.group("reason") if m else text.strip()
    said = GEOS_REASONS.get(reason)
    if said is None:
        return text
    if m is None:
        return str(said)
    return _("%(reason)s au point %(x)s %(y)s") % {"reason": said, "x": m.group("x"), "y": m.group("y")}


TYPE_RE = re.compile(r'^type is "(?P<type>[^/"]+)/(?P<format>[^"]*)"$')
CONSTRAINT_RE = re.compile(r'^constraint "(?P<name>\w+)" is "(?P<value>.*)"$', re.DOTALL)
UNIQUE_RE = re.compile(r"^the same as in the row at position (?P<line>\d+)$")
TYPES = {
    "integer": gettext_lazy("nombre entier"),
    "number": gettext_lazy("nombre"),
    "boolean": gettext_lazy("booléen"),
    "date": gettext_lazy("date"),
    "datetime": gettext_lazy("date et heure"),
    "time": gettext_lazy("heure"),
    "year": gettext_lazy("année"),
    "string": gettext_lazy("texte"),
}
CONSTRAINTS = {
    "enum": gettext_lazy("valeurs permises : %(value)s"),
    "minimum": gettext_lazy("minimum : %(value)s"),
    "maximum": gettext_lazy("maximum : %(value)s"),
    "exclusiveMinimum": gettext_lazy("strictement plus grand que %(value)s"),
    "exclusiveMaximum": gettext_lazy("strictement plus petit que %(value)s"),
    "pattern": gettext_lazy("motif attendu : %(value)s"),
    "minLength": gettext_lazy("longueur minimale : %(value)s"),
    "maxLength": gettext_lazy("longueur maximale : %(value)s"),
}


def is_required_note(note: str) -> bool:
    m = CONSTRAINT_RE.match(note)
    return bool(m and m.group("name") == "required")


def schema_note(note: str) -> str:
    """frictionless's note on an error (``type is "date/%d/%m/%Y"``, ``constraint "enum" is
    "[...]"``, ``the same as in the row at position 2``) in the user's language."""
    if m := TYPE_RE.match(note):
        kind = m.group("type")
        said = f"{TYPES[kind]} ({kind})" if kind in TYPES else kind
        if m.group("format") in ("default", "any", ""):
            return _("attendu : %(type)s") % {"type": said}
        return _("attendu : %(type)s au format %(format)s") % {"type": said, "format": m.group("format")}
    if m := CONSTRAINT_RE.match(note):
        template = CONSTRAINTS.get(m.group("name"))
        if template is None:
            return _("contrainte « %(name)s » : %(value)s") % {
                "name": m.group("name"),
                "value": m.group("value"),
            }
        return str(template) % {"value": m.group("value")}
    if m := UNIQUE_RE.match(note):
        return _("même valeur qu'à la ligne %(line)s") % {"line": m.group("line")}
    return note


JSON_REASONS = {
    "Expecting value": gettext_lazy("une valeur est attendue"),
    "Expecting property name enclosed in double quotes": gettext_lazy(
        "un nom de propriété entre guillemets droits est attendu"
    ),
    "Expecting ',' delimiter": gettext_lazy("une virgule est attendue"),
    "Expecting ':' delimiter": gettext_lazy("un deux-points est attendu"),
    "Unterminated string starting at": gettext_lazy("une chaîne de caractères n'est pas fermée"),
    "Extra data": gettext_lazy("des données suivent la fin du document"),
    "Invalid control character at": gettext_lazy("caractère de contrôle invalide"),
    "Invalid \\escape": gettext_lazy("séquence d'échappement invalide"),
}


def json_reason(exc) -> str:
    """A ``json.JSONDecodeError`` said as « JSON mal formé (colonne 28 : une virgule est attendue) »."""
    said = JSON_REASONS.get(exc.msg, exc.msg)
    return _("JSON mal formé (colonne %(column)s : %(reason)s)") % {"column": exc.colno, "reason": said}
