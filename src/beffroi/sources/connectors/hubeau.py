"""Hub'Eau hydrométrie v2: real-time heights (H, mm → m) and flows (Q, l/s → m³/s).

``observations_tr`` pages with a cursor: HTTP 206 while a ``next`` URL exists, 200 on the last page.
Quirks handled: site-level rows with ``code_station`` null (the site code is used), null results
(skipped and reported), the same observation on two pages (kept once), negative flows (kept, noted).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError, RowProblem
from beffroi.sources.connectors.values import as_code, as_datetime, as_float, expected, member

UNITS = {"H": ("m", 0.001), "Q": ("m3/s", 0.001)}


class HubEau(Connector):
    kind = "hubeau"
    title = gettext_lazy("Hub'Eau hydrométrie — observations en temps réel")
    default_base_url = "https://hubeau.eaufrance.fr/api/v2/hydrometrie"
    default_period = 600
    live = True
    options = {
        "stations": "station codes, comma-separated (e.g. F664000104,F704000101)",
        "grandeurs": "H, Q or H,Q (default H,Q)",
        "hours": "how many hours back to read (default 3, overlapping: late data is upserted)",
        "page_size": "rows per page (default 1000, max 20000)",
        "max_pages": "safety stop (default 50)",
    }
    required = ("stations",)

    @classmethod
    def default_title(cls, config):
        return f"Hub'Eau hydrométrie {config.get('stations', '')}"

    def fetch(self):
        stations = ",".join(self.list_option("stations"))
        grandeurs = self.list_option("grandeurs") or ["H", "Q"]
        since = datetime.now(UTC) - timedelta(hours=float(self.config.get("hours", 3)))
        max_pages = int(self.config.get("max_pages", 50))
        pages = []
        for grandeur in grandeurs:
            url = f"{self.base_url}/observations_tr"
            params: dict[str, Any] | None = {
                "code_entite": stations,
                "grandeur_hydro": grandeur,
                "size": int(self.config.get("page_size", 1000)),
                "date_debut_obs": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sort": "asc",
            }
            for _attempt in range(max_pages):
                page = self.get(url, params=params)
                pages.append(page)
                nxt = member(self.json_of(page), "next", page.url) if page.status == 206 else None
                if not nxt:
                    break
                url, params = nxt, None
            else:
                raise PayloadError(
                    _("plus de %(n)d pages pour %(grandeur)s : réduisez les stations ou la période")
                    % {"n": max_pages, "grandeur": grandeur}
                )
        return pages

    def parse(self, payloads):
        parsed = Parsed()
        seen = set()
        for page in payloads:
            body = self.json_of(page)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise PayloadError(_("%(url)s : pas de liste 'data' dans la réponse") % {"url": page.url})
            for i, row in enumerate(body["data"]):
                where = _("%(url)s ligne %(n)d") % {"url": page.url.split("?")[0], "n": i + 1}
                if not isinstance(row, dict):
                    parsed.problems.append(RowProblem(where, expected(_("un objet"), row)))
                    continue
                code = as_code(row.get("code_station")) or as_code(row.get("code_site"))
                grandeur = row.get("grandeur_hydro")
                at = as_datetime(row.get("date_obs"))
                raw = as_float(row.get("resultat_obs"))
                if not code or not isinstance(grandeur, str) or grandeur not in UNITS or at is None:
                    parsed.problems.append(RowProblem(where, _("station, grandeur ou date manquante")))
                    continue
                if raw is None:
                    parsed.problems.append(
                        RowProblem(
                            where,
                            _("%(code)s %(grandeur)s : aucune valeur à %(at)s")
                            % {"code": code, "grandeur": grandeur, "at": row.get("date_obs")},
                        )
                    )
                    continue
                unit, factor = UNITS[grandeur]
                series = f"hubeau:{code}:{grandeur}"
                if (series, at) in seen:
                    continue
                seen.add((series, at))
                if grandeur == "Q" and raw < 0:
                    parsed.notes.append(
                        _("%(code)s : débit négatif de %(value)s l/s à %(at)s (conservé)")
                        % {"code": code, "value": raw, "at": f"{at:%Y-%m-%d %H:%M}"}
                    )
                parsed.points.append(
                    {"series": series, "at": at, "value": raw * factor, "unit": unit, "kind": "observation"}
                )
        parsed.points.sort(key=lambda p: (p["series"], p["at"]))
        return parsed


class HubEauStations(Connector):
    """The station referential (``/referentiel/stations``, page/size with a ``next`` link): a layer of
    stations with their river, status and position, to choose which stations to follow."""

    kind = "hubeau-stations"
    title = gettext_lazy("Hub'Eau hydrométrie — référentiel des stations")
    default_base_url = "https://hubeau.eaufrance.fr/api/v2/hydrometrie"
    default_period = 7 * 86400
    options = {
        "departments": "département codes, comma-separated (e.g. 92,94)",
        "in_service": "true (default) to keep stations in service only",
        "max_pages": "safety stop (default 20)",
    }
    required = ("departments",)

    @classmethod
    def default_title(cls, config):
        return f"Stations hydrométriques {config.get('departments', '')}"

    def fetch(self):
        url = f"{self.base_url}/referentiel/stations"
        first: dict[str, Any] = {
            "code_departement": ",".join(self.list_option("departments")),
            "size": 1000,
            "page": 1,
            "format": "json",
        }
        if str(self.config.get("in_service", "true")).lower() == "true":
            first["en_service"] = "true"
        params: dict[str, Any] | None = first
        pages = []
        for _attempt in range(int(self.config.get("max_pages", 20))):
            page = self.get(url, params=params)
            pages.append(page)
            nxt = member(self.json_of(page), "next", page.url)
            if not nxt:
                return pages
            url, params = nxt, None
        raise PayloadError(_("trop de pages de stations : réduisez les départements"))

    def parse(self, payloads):
        import pyarrow as pa
        import shapely

        from beffroi.sources.connectors.values import records_table

        parsed = Parsed()
        records, geometries = [], []
        keep = (
            "code_station",
            "libelle_station",
            "code_site",
            "libelle_cours_eau",
            "code_commune_station",
            "libelle_commune",
            "type_station",
            "en_service",
            "date_ouverture_station",
        )
        for page in payloads:
            body = self.json_of(page)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise PayloadError(_("%(url)s : pas de liste 'data' dans la réponse") % {"url": page.url})
            for i, row in enumerate(body["data"]):
                where = _("%(url)s ligne %(n)d") % {"url": page.url, "n": i + 1}
                if not isinstance(row, dict):
                    parsed.problems.append(RowProblem(where, expected(_("un objet"), row)))
                    continue
                lon, lat = as_float(row.get("longitude_station")), as_float(row.get("latitude_station"))
                if not as_code(row.get("code_station")) or lon is None or lat is None:
                    parsed.problems.append(RowProblem(where, _("code ou position manquant")))
                    continue
                records.append({k: row.get(k) for k in keep})
                geometries.append(shapely.to_wkb(shapely.Point(lon, lat)))
        if records:
            table = records_table(records)
            parsed.table = table.append_column("geometry", pa.array(geometries, pa.binary()))
            parsed.geometry_column = "geometry"
        return parsed
