"""One base for every public source: fetch() → parse() → store(), with a run report and dry-run.

A subclass declares its ``kind``, licence, default period and base URL (overridable per source with
the ``base_url`` option or with ``BEFFROI_<KIND>_URL``), and implements ``fetch`` (HTTP through
``self.get``, which records every raw payload) and ``parse`` (payloads → points and/or a table).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError
from beffroi.sources.connectors.errors import MissingKey, PayloadError, RowProblem
from beffroi.sources.connectors.http import Fetched, HttpClient

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CONNECTOR_MODULES = (  # each module may define several kinds
    "hubeau",
    "vigicrues",
    "datagouv",
    "opendatasoft",
    "georisques",
    "meteoalarm",
    "meteofrance",
    "atmo",
    "idfm",
)


def registry() -> dict[str, type[Connector]]:
    for name in CONNECTOR_MODULES:
        importlib.import_module(f"beffroi.sources.connectors.{name}")
    return {cls.kind: cls for cls in _all_subclasses(Connector) if getattr(cls, "kind", "")}


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


@dataclass
class Parsed:
    points: list[dict[str, Any]] = field(default_factory=list)
    table: pa.Table | None = None
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    staged: Any = None  # a staged file import (downloads), adopted by store()
    geometry_column: str | None = None  # WKB EPSG:4326 column of ``table``, if any

    @property
    def rows(self) -> int:
        if self.table is not None:
            return self.table.num_rows
        if self.staged is not None:
            return self.staged.rows
        return len(self.points)


class Connector:
    kind: ClassVar[str] = ""
    title: ClassVar[StrOrPromise] = ""  # gettext_lazy: the kind's name in the reader's language
    licence: ClassVar[str] = "Licence Ouverte / Etalab 2.0"
    default_base_url: ClassVar[str] = ""
    default_period: ClassVar[int] = 3600
    options: ClassVar[dict[str, str]] = {}  # option -> help
    required: ClassVar[tuple[str, ...]] = ()
    key_env: ClassVar[tuple[str, ...]] = ()  # environment variables holding the credentials
    key_help: ClassVar[StrOrPromise] = ""  # gettext_lazy: where to get the key
    live: ClassVar[bool] = False  # pushes observations to monitoring

    def __init__(self, config: dict[str, Any], *, source_name: str = "", http: HttpClient | None = None):
        self.config = dict(config)
        self.source_name = source_name or self.kind
        self.http = http or HttpClient(
            timeout=float(self.config["timeout"]) if self.config.get("timeout") else None,
            backoff=float(self.config.get("backoff", 1.0)),
            retries=int(self.config.get("retries", 3)),
        )
        self.payloads: list[Fetched] = []

    # --- configuration ------------------------------------------------------------------------
    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        known = set(cls.options) | {"base_url", "timeout", "backoff", "retries"}
        unknown = sorted(set(config) - known)
        problems = [
            Problem(
                _("option inconnue pour %(kind)s (options connues : %(known)s)")
                % {"kind": cls.kind, "known": ", ".join(sorted(known))},
                field=k,
            )
            for k in unknown
        ]
        problems += [Problem(_("option obligatoire"), field=k) for k in cls.required if not config.get(k)]
        if problems:
            raise UserError(_("Options invalides pour une source %(kind)s.") % {"kind": cls.kind}, problems)
        return {k: v for k, v in config.items() if v not in (None, "")}

    @classmethod
    def default_title(cls, config: dict[str, Any]) -> str:
        """The title a new source gets when none is given (stored: in the territory's language)."""
        return str(cls.title)

    @classmethod
    def stored_title(cls, config: dict[str, Any]) -> str:
        """``default_title`` as stored in the catalogue: a ``str`` in ``settings.LANGUAGE_CODE``,
        whoever (English reader or not) added the source."""
        with translation.override(settings.LANGUAGE_CODE):
            return str(cls.default_title(config))

    @classmethod
    def origin_for(cls, config: dict[str, Any]) -> str:
        return config.get("base_url") or cls.env_base_url() or cls.default_base_url

    @classmethod
    def env_base_url(cls) -> str:
        # settings.SOURCE_URLS holds the BEFFROI_<KIND>_URL variables, keyed by the lower-case kind.
        urls = settings.SOURCE_URLS
        return urls.get(cls.kind) or urls.get(cls.kind.replace("-", "_")) or ""

    @property
    def base_url(self) -> str:
        return (self.config.get("base_url") or self.env_base_url() or self.default_base_url).rstrip("/")

    def list_option(self, name: str) -> list[str]:
        value = self.config.get(name, "")
        if isinstance(value, list):
            return [str(v) for v in value]
        return [v.strip() for v in str(value).split(",") if v.strip()]

    def credential(self, env: str) -> str:
        value = settings.SOURCE_API_KEYS.get(env, "")
        if not value:
            message = _("clé d'API manquante : définissez %(env)s dans l'environnement.") % {"env": env}
            raise MissingKey(f"{message} {self.key_help}".strip())
        return value

    # --- HTTP with provenance -----------------------------------------------------------------
    def get(self, url: str, *, params=None, headers=None, accept=(200, 206)) -> Fetched:
        fetched = self.http.request("GET", url, params=params, headers=headers, accept=accept)
        self.payloads.append(fetched)
        return fetched

    def post(self, url: str, *, json_body=None, headers=None) -> Fetched:
        return self.http.request("POST", url, json=json_body, headers=headers, accept=(200, 201))

    @staticmethod
    def json_of(fetched: Fetched) -> Any:
        from beffroi.sources.imports.safety import too_deep

        error: object = None
        if too_deep(fetched.content):  # before the parser reaches Python's recursion limit
            error = _("illisible : le JSON est imbriqué trop profondément")
        else:
            try:
                return json.loads(fetched.content)
            # ValueError covers bad JSON, bad UTF-8 and integers past Python's digit limit
            except ValueError as exc:
                error = exc
        snippet = fetched.content[:80].decode("utf-8", "replace")
        raise PayloadError(
            _("%(url)s : la réponse n'est pas du JSON valide (%(error)s) ; elle commence par %(start)r")
            % {"url": fetched.url, "error": error, "start": snippet}
        )

    # --- the three steps ----------------------------------------------------------------------
    def fetch(self) -> list[Fetched]:
        raise NotImplementedError

    def parse(self, payloads: list[Fetched]) -> Parsed:
        raise NotImplementedError

    def close(self) -> None:
        self.http.close()
