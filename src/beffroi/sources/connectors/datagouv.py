"""data.gouv.fr (udata API v1 + tabular API): a dataset's metadata, a resource's download, or its rows.

Modes: ``metadata`` (the resources of a dataset as a table), ``download`` (a resource file imported
through the same checks as ``beffroi sources import``), ``tabular`` (rows from tabular-api,
following ``links.next``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.core.errors import Problem, UserError
from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError
from beffroi.sources.connectors.values import as_text, flatten, member, objects, records_table

LICENCES = {
    "lov2": "Licence Ouverte / Etalab 2.0",
    "odc-odbl": "ODbL",
    "fr-lo": "Licence Ouverte 1.0",
    "cc-by": "CC-BY",
}
FORMATS = {
    "csv": ".csv",
    "xlsx": ".xlsx",
    "geojson": ".geojson",
    "json": ".geojson",
    "gpkg": ".gpkg",
    "zip": ".zip",
    "shp": ".zip",
}


class DataGouv(Connector):
    kind = "datagouv"
    title = gettext_lazy("data.gouv.fr")
    default_base_url = "https://www.data.gouv.fr"
    default_period = 86400
    options = {
        "dataset": "dataset id or slug",
        "resource": "resource id (download and tabular modes)",
        "mode": "metadata, download or tabular (default metadata)",
        "tabular_url": "base of the tabular API (default https://tabular-api.data.gouv.fr)",
        "page_size": "rows per tabular page (default 50)",
        "max_pages": "safety stop (default 200)",
    }

    @classmethod
    def validate_config(cls, config):
        clean = super().validate_config(config)
        mode = clean.setdefault("mode", "metadata")
        if mode not in ("metadata", "download", "tabular"):
            raise UserError(
                _("Le mode doit être metadata, download ou tabular (reçu %(mode)r).") % {"mode": mode},
                [Problem(_("mode inconnu"), field="mode")],
            )
        if mode == "metadata" and not clean.get("dataset"):
            raise UserError(
                _("Le mode metadata demande un jeu de données (option dataset)."),
                [Problem(_("option obligatoire"), field="dataset")],
            )
        if mode in ("download", "tabular") and not clean.get("resource"):
            raise UserError(
                _("Le mode %(mode)s demande l'identifiant d'une ressource (option resource).")
                % {"mode": mode},
                [Problem(_("option obligatoire"), field="resource")],
            )
        return clean

    @classmethod
    def default_title(cls, config):
        return f"data.gouv.fr {config.get('dataset') or config.get('resource')}"

    @property
    def tabular_url(self) -> str:
        return (
            self.config.get("tabular_url")
            or settings.SOURCE_URLS.get("datagouv_tabular")
            or "https://tabular-api.data.gouv.fr"
        ).rstrip("/")

    def fetch(self):
        mode = self.config.get("mode", "metadata")
        if mode == "metadata":
            return [self.get(f"{self.base_url}/api/1/datasets/{self.config['dataset']}/")]
        if mode == "download":
            meta = self.get(f"{self.base_url}/api/2/datasets/resources/{self.config['resource']}/")
            body = self.json_of(meta)
            resource = body.get("resource") if isinstance(body, dict) else None
            if (
                not isinstance(resource, dict)
                or not isinstance(resource.get("url"), str)
                or not resource["url"]
            ):
                raise PayloadError(_("%(url)s : pas de resource.url dans la réponse") % {"url": meta.url})
            return [meta, self.get(resource["url"])]
        pages = []
        url = f"{self.tabular_url}/api/resources/{self.config['resource']}/data/"
        params: dict[str, Any] | None = {"page_size": int(self.config.get("page_size", 50)), "page": 1}
        for _attempt in range(int(self.config.get("max_pages", 200))):
            page = self.get(url, params=params)
            pages.append(page)
            links = member(self.json_of(page), "links", page.url, (dict, type(None)))
            nxt = member(links or {}, "next", page.url)
            if not nxt:
                return pages
            url, params = nxt, None
        raise PayloadError(
            _("trop de pages tabulaires (max_pages %(n)d) : augmentez max_pages ou utilisez le mode download")
            % {"n": int(self.config.get("max_pages", 200))}
        )

    def parse(self, payloads):
        mode = self.config.get("mode", "metadata")
        parsed = Parsed()
        if mode == "metadata":
            body = self.json_of(payloads[0])
            if not isinstance(body, dict) or not isinstance(body.get("resources"), list):
                raise PayloadError(
                    _("%(url)s : pas de liste resources dans les métadonnées du jeu de données")
                    % {"url": payloads[0].url}
                )
            keep = ("id", "title", "format", "url", "filesize", "mime", "last_modified", "type")
            rows = [{k: r.get(k) for k in keep} for r in objects(body["resources"], "resources", parsed)]
            if rows:
                parsed.table = records_table(rows)
            licence = LICENCES.get(as_text(body.get("license")), as_text(body.get("license")))
            parsed.notes.append(
                _("%(title)s — licence %(licence)s, mis à jour %(updated)s, fréquence %(frequency)s")
                % {
                    "title": as_text(body.get("title")),
                    "licence": licence,
                    "updated": as_text(body.get("last_update")) or "?",
                    "frequency": as_text(body.get("frequency")) or "?",
                }
            )
            return parsed
        if mode == "download":
            body = self.json_of(payloads[0])
            resource = body.get("resource") if isinstance(body, dict) else None
            if (
                not isinstance(resource, dict)
                or not isinstance(resource.get("url"), str)
                or len(payloads) < 2
            ):
                raise PayloadError(
                    _("%(url)s : pas de resource.url dans la réponse") % {"url": payloads[0].url}
                )
            ext = (
                FORMATS.get(as_text(resource.get("format")).lower())
                or Path(resource["url"].split("?")[0]).suffix
                or ".csv"
            )
            from beffroi.sources import storage
            from beffroi.sources.imports import stage_file

            tmp = storage.staging_path(ext)
            try:
                tmp.write_bytes(payloads[1].content)
                parsed.staged = stage_file(tmp, label=resource["url"])
            except UserError as exc:
                raise PayloadError(
                    _("la ressource téléchargée a été refusée : %(error)s") % {"error": exc}
                ) from None
            finally:
                tmp.unlink(missing_ok=True)
            parsed.notes.append(
                _("ressource %(title)s (%(format)s)")
                % {"title": as_text(resource.get("title")), "format": as_text(resource.get("format"))}
            )
            return parsed
        rows = []
        for page in payloads:
            body = self.json_of(page)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise PayloadError(
                    _("%(url)s : pas de liste 'data' dans la réponse tabulaire") % {"url": page.url}
                )
            rows.extend(flatten(r) for r in objects(body["data"], f"{page.url} data", parsed))
        if rows:
            parsed.table = records_table(rows)
        return parsed
