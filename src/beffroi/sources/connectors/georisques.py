"""Géorisques API v1: risks per commune (GASPAR), CatNat history, TRI, with its paginated envelope
``{results, page, total_pages, data[], response_code, message, next, previous}``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.core.errors import Problem, UserError
from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError
from beffroi.sources.connectors.values import as_int, flatten, member, records_table

ENDPOINTS = (
    "gaspar/catnat",
    "gaspar/risques",
    "gaspar/tri",
    "gaspar/papi",
    "gaspar/azi",
    "zonage_sismique",
    "rga",
)


class Georisques(Connector):
    kind = "georisques"
    title = gettext_lazy("Géorisques")
    default_base_url = "https://www.georisques.gouv.fr/api/v1"
    default_period = 7 * 86400
    options = {
        "communes": "INSEE codes, comma-separated",
        "endpoint": f"one of {', '.join(ENDPOINTS)} (default gaspar/catnat)",
        "page_size": "default 100",
        "max_pages": "safety stop (default 100)",
    }
    required = ("communes",)

    @classmethod
    def validate_config(cls, config):
        clean = super().validate_config(config)
        if clean.setdefault("endpoint", "gaspar/catnat") not in ENDPOINTS:
            raise UserError(
                _("Point d'accès Géorisques inconnu : %(endpoint)r.") % {"endpoint": clean["endpoint"]},
                [Problem(_("connus : %(known)s") % {"known": ", ".join(ENDPOINTS)}, field="endpoint")],
            )
        return clean

    @classmethod
    def default_title(cls, config):
        return f"Géorisques {config.get('endpoint', 'gaspar/catnat')} {config.get('communes', '')}"

    def fetch(self):
        endpoint = self.config.get("endpoint", "gaspar/catnat")
        pages = []
        for code in self.list_option("communes"):
            url = f"{self.base_url}/{endpoint}"
            params: dict[str, Any] | None = {
                "code_insee": code,
                "page": 1,
                "page_size": int(self.config.get("page_size", 100)),
            }
            for _attempt in range(int(self.config.get("max_pages", 100))):
                page = self.get(url, params=params)
                pages.append(page)
                body = self.json_of(page)
                if not isinstance(body, dict):
                    raise PayloadError(
                        _("%(url)s : ce n'est pas une enveloppe Géorisques") % {"url": page.url}
                    )
                current = as_int(body.get("page")) or as_int((params or {}).get("page")) or 1
                total = as_int(body.get("total_pages")) or 1
                nxt = member(body, "next", page.url)
                if nxt:
                    url, params = nxt, None
                elif current < total:
                    params = {
                        "code_insee": code,
                        "page": current + 1,
                        "page_size": int(self.config.get("page_size", 100)),
                    }
                    url = f"{self.base_url}/{endpoint}"
                else:
                    break
            else:
                raise PayloadError(
                    _("%(code)s : plus de pages que max_pages (%(n)d)")
                    % {"code": code, "n": int(self.config.get("max_pages", 100))}
                )
        return pages

    def parse(self, payloads):
        parsed = Parsed()
        rows: list[dict] = []
        for page in payloads:
            body = self.json_of(page)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise PayloadError(
                    _("%(url)s : pas de liste 'data' (response_code %(code)s)")
                    % {"url": page.url, "code": body.get("response_code") if isinstance(body, dict) else "?"}
                )
            rows.extend(flatten(r) for r in body["data"] if isinstance(r, dict))
        if rows:
            parsed.table = records_table(rows)
        return parsed
