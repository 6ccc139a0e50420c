"""One error shape for the whole API, the handlers that produce it, and the helper routes use to
document it.

Every refusal is ``{"detail": str, "problems": [str], "located": [{message, field, file, line}]}``:
``detail`` says what went wrong, ``problems`` lists each located problem as ``core.errors`` prints it
(``field 'area': …``), and ``located`` gives the same problems as data for programs. A request the
schema refuses (wrong type, missing field, unknown field, value out of range) gets the same 400 as
one the server's actions refuse, with each problem located by its field (``points[2].at``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import ConfigDict

from beffroi.core.errors import Problem, UserError


class StrictIn(Schema):
    """Base of request bodies: a field the server does not know is refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ProblemOut(Schema):
    message: str
    field: str | None = None
    file: str | None = None
    line: int | None = None


class ErrorOut(Schema):
    detail: str
    problems: list[str] = []
    located: list[ProblemOut] = []


# The error responses a route can give; ``responses`` picks them by status code.
ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429)


def responses(ok: Any, *errors: int) -> dict[int, Any]:
    """The ``response=`` of a route: its success schema(s) and the errors it can give.

    ``ok`` is a schema (for 200) or a ``{status: schema}`` mapping; 401 is always added (every route
    needs a token or a session), and ``errors`` adds 400, 403, 404 or 409 where the route can give them.
    """
    out: dict[int, Any] = dict(ok) if isinstance(ok, dict) else {200: ok}
    for status in (401, *errors):
        if status not in ERROR_STATUSES:
            raise ValueError(f"undocumented error status {status}")
        out[status] = ErrorOut
    return out


def error_body(detail: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    problems = problems or []
    return {
        "detail": detail,
        "problems": [str(p) for p in problems[: UserError.MAX_SHOWN]],
        "located": [
            {"message": p.message, "field": p.field, "file": p.file, "line": p.line}
            for p in problems[: UserError.MAX_SHOWN]
        ],
    }


def _field(loc: tuple | list) -> str:
    """``("body", "payload", "points", 2, "at")`` → ``points[2].at``; query and path: the name."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in ("query", "path", "header", "cookie", "form", "file"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or _("requête")


def _message(error: dict[str, Any]) -> str:
    """A French message for one pydantic error (the English original when the type is unusual)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    simple = {
        "missing": _("champ obligatoire"),
        "extra_forbidden": _("champ inconnu"),
        "string_type": _("texte attendu"),
        "int_parsing": _("nombre entier attendu"),
        "int_type": _("nombre entier attendu"),
        "int_from_float": _("nombre entier attendu"),
        "float_parsing": _("nombre attendu"),
        "float_type": _("nombre attendu"),
        "finite_number": _("nombre fini attendu"),
        "bool_parsing": _("booléen attendu (true ou false)"),
        "bool_type": _("booléen attendu (true ou false)"),
        "dict_type": _("objet JSON attendu"),
        "model_type": _("objet JSON attendu"),
        "model_attributes_type": _("objet JSON attendu"),
        "list_type": _("liste attendue"),
        "datetime_parsing": _("date et heure ISO 8601 attendues"),
        "datetime_from_date_parsing": _("date et heure ISO 8601 attendues"),
        "datetime_type": _("date et heure ISO 8601 attendues"),
        "timezone_aware": _("date et heure avec fuseau horaire attendues"),
        "json_invalid": _("JSON invalide"),
        "string_pattern_mismatch": _("format non reconnu"),
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_too_short":
        return _("texte trop court : au moins %(n)s caractère(s)") % {"n": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("texte trop long : au plus %(n)s caractères") % {"n": ctx.get("max_length")}
    if kind == "too_short":
        return _("au moins %(n)s élément(s) attendu(s)") % {"n": ctx.get("min_length")}
    if kind == "too_long":
        return _("au plus %(n)s éléments") % {"n": ctx.get("max_length")}
    if kind in ("literal_error", "enum"):
        return _("valeur non reconnue : attendu %(expected)s") % {"expected": ctx.get("expected", "")}
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {
            "greater_than": _("supérieur à"),
            "greater_than_equal": _("au moins"),
            "less_than": _("inférieur à"),
            "less_than_equal": _("au plus"),
        }[kind]
        limit = next((v for k, v in ctx.items() if k in ("gt", "ge", "lt", "le")), "")
        return _("valeur hors limites : %(bound)s %(limit)s attendu") % {"bound": bound, "limit": limit}
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", ""))
    return _("valeur invalide (%(reason)s)") % {"reason": error.get("msg", kind)}


def validation_problems(errors: list[dict[str, Any]]) -> list[Problem]:
    return [Problem(_message(e), field=_field(e.get("loc", ()))) for e in errors]


def install(api: NinjaAPI) -> None:
    """Map every refusal to the shared error shape (never a traceback, never ninja's own English)."""

    @api.exception_handler(UserError)
    def _user_error(request, exc: UserError):
        body = error_body(exc.message, exc.problems)
        # A few refusals are not the request's fault, e.g. 503 for a registry key that does not match.
        return api.create_response(request, body, status=getattr(exc, "http_status", 400))

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        problems = validation_problems(list(exc.errors))
        detail = ngettext(
            "Requête refusée : %(n)s problème dans les données envoyées.",
            "Requête refusée : %(n)s problèmes dans les données envoyées.",
            len(problems),
        ) % {"n": len(problems)}
        return api.create_response(request, error_body(detail, problems), status=400)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        detail = _("Authentification requise : un jeton (Authorization: Bearer …) ou une session.")
        return api.create_response(request, error_body(detail), status=401)

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return api.create_response(request, error_body(_("Permission refusée.")), status=403)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, error_body(_("Introuvable.")), status=404)

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        detail = str(exc)
        if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            detail = _(
                "Corps de la requête illisible : un objet JSON en Unicode valide est attendu "
                "(sans caractère nul ni demi-caractère UTF-16 isolé)."
            )
        elif exc.status_code == 403 and "CSRF" in detail:
            detail = _("Jeton CSRF manquant ou invalide : envoyez l'en-tête X-CSRFToken avec la session.")
        return api.create_response(request, error_body(detail), status=exc.status_code)
