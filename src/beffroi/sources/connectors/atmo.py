"""Air quality: the national ATMO index (Atmo France, login → Bearer token) and Airparif (X-Api-Key).

Atmo France: ``POST /api/login`` with ``BEFFROI_ATMO_USERNAME``/``BEFFROI_ATMO_PASSWORD`` then
``GET /api/v2/data/indices/atmo?format=geojson&date=…&code_zone=…``; properties ``code_qual`` 1–6 and
sub-indices ``code_no2``, ``code_o3``, ``code_pm10``, ``code_pm25``, ``code_so2``.
Airparif: ``GET /indices/prevision/commune?insee=…`` with ``BEFFROI_AIRPARIF_API_KEY``.

The AASQA publish each day (``date_dif``) the index of that day and their forecast for the next
(``date_ech`` = J+1), updated at ``date_maj``: a record whose ``date_ech`` is after its ``date_dif``
is a forecast point of the same series, issued at ``date_maj``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError, RowProblem
from beffroi.sources.connectors.values import (
    as_code,
    as_datetime,
    as_float,
    as_text,
    obj,
    objects,
    records_table,
)

SUBINDICES = ("no2", "so2", "o3", "pm10", "pm25")

# The index is per French civil day: a bare date is that day's midnight in Paris, so that a
# forecast for tomorrow reads as « demain » on the dashboard whatever the server's zone.
PARIS = ZoneInfo("Europe/Paris")


def paris_today() -> date:
    return datetime.now(PARIS).date()


def as_day(value) -> datetime | None:
    """``date_ech`` / ``date_dif``: a day ``YYYY-MM-DD`` (→ its midnight in Paris, in UTC), or a
    date-time / epoch milliseconds as other sources give them (ArcGIS copies use epoch ms)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return None
        return datetime.combine(day, time(), PARIS).astimezone(UTC)
    return as_datetime(value)


def local_day(at: datetime) -> date:
    return at.astimezone(PARIS).date()


class Atmo(Connector):
    kind = "atmo"
    title = gettext_lazy("Atmo France — indice ATMO")
    default_base_url = "https://admindata.atmo-france.org"
    default_period = 3 * 3600
    live = True
    licence = "ODbL — Atmo France / AASQA (à vérifier)"
    options = {"communes": "INSEE codes, comma-separated"}
    required = ("communes",)
    key_env = ("BEFFROI_ATMO_USERNAME", "BEFFROI_ATMO_PASSWORD")
    key_help = gettext_lazy(
        "Identifiants à obtenir en créant un compte sur https://admindata.atmo-france.org."
    )

    def fetch(self):
        user = self.credential("BEFFROI_ATMO_USERNAME")
        password = self.credential("BEFFROI_ATMO_PASSWORD")
        login = self.post(f"{self.base_url}/api/login", json_body={"username": user, "password": password})
        body = self.json_of(login)
        token = body.get("token") if isinstance(body, dict) else None
        if not token or not isinstance(token, str):
            # a refused login is an HTTP 401 (FetchError); a 200 without a token is a bad answer
            raise PayloadError(
                _(
                    "%(url)s : la réponse de connexion d'Atmo France n'a pas de jeton ; "
                    "vérifiez BEFFROI_ATMO_USERNAME et BEFFROI_ATMO_PASSWORD"
                )
                % {"url": login.url}
            )
        params = {
            "format": "geojson",
            # the diffusion day: its answer holds today's index and the forecast for tomorrow
            "date": paris_today().isoformat(),
            "code_zone": ",".join(self.list_option("communes")),
            "with_geom": "false",
        }
        return [
            self.get(
                f"{self.base_url}/api/v2/data/indices/atmo",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
        ]

    def parse(self, payloads):
        parsed = Parsed()
        body = self.json_of(payloads[0])
        features = body.get("features") if isinstance(body, dict) else None
        if not isinstance(features, list):
            raise PayloadError(
                _("%(url)s : aucune entité GeoJSON dans la réponse") % {"url": payloads[0].url}
            )
        records = []
        today = paris_today()
        for n, feature in enumerate(objects(features, "features", parsed), start=1):
            p = obj(feature.get("properties"))
            zone, at, index = (
                as_code(p.get("code_zone")) or "",
                as_day(p.get("date_ech")),
                as_float(p.get("code_qual")),
            )
            if not zone or at is None or index is None:
                parsed.problems.append(
                    RowProblem(_("entité %(n)d") % {"n": n}, _("code_zone, date_ech ou code_qual manquant"))
                )
                continue
            diffused = as_day(p.get("date_dif"))
            updated = as_datetime(p.get("date_maj"))
            # Without date_dif, the day of the run tells what is still to come.
            forecast = local_day(at) > (local_day(diffused) if diffused is not None else today)
            point: dict = {"at": at, "unit": "indice", "kind": "forecast" if forecast else "observation"}
            if forecast:
                # A forecast's issue time lets the next issue replace it (monitoring/ingestion.py);
                # the update time when given, else the diffusion day.
                issued = updated or diffused
                if issued is not None:
                    point["issued_at"] = issued
            parsed.points.append(dict(point, series=f"atmo:{zone}:index", value=index))
            rec = {
                "code_zone": zone,
                "lib_zone": as_text(p.get("lib_zone")),
                "date_ech": at,
                "echeance": "J+1" if forecast else "J",
                "date_dif": diffused,
                "date_maj": updated,
                "code_qual": index,
                "lib_qual": as_text(p.get("lib_qual")),
            }
            for sub in SUBINDICES:
                v = as_float(p.get(f"code_{sub}"))
                rec[f"code_{sub}"] = v
                if v is not None:
                    parsed.points.append(dict(point, series=f"atmo:{zone}:{sub}", value=v))
            records.append(rec)
        if records:
            parsed.table = records_table(records)
        return parsed


class Airparif(Connector):
    kind = "airparif"
    title = gettext_lazy("Airparif — indice par commune")
    default_base_url = "https://api.airparif.asso.fr"
    default_period = 3 * 3600
    live = True
    licence = "Airparif (conditions d'utilisation à vérifier)"
    options = {"communes": "INSEE codes, comma-separated"}
    required = ("communes",)
    key_env = ("BEFFROI_AIRPARIF_API_KEY",)
    key_help = gettext_lazy("Clé d'API à demander à Airparif (https://www.airparif.fr/contact).")

    def fetch(self):
        key = self.credential("BEFFROI_AIRPARIF_API_KEY")
        return [
            self.get(
                f"{self.base_url}/indices/prevision/commune",
                params={"insee": ",".join(self.list_option("communes"))},
                headers={"X-Api-Key": key},
            )
        ]

    def parse(self, payloads):
        """Schema-derived (no recorded answer available): ``{insee: [{date, indice, ...}]}`` or a list of records."""  # noqa: E501
        parsed = Parsed()
        body = self.json_of(payloads[0])
        if isinstance(body, dict):
            items = [
                dict(r, insee=k)
                for k, v in body.items()
                if isinstance(v, list)
                for r in v
                if isinstance(r, dict)
            ]
        elif isinstance(body, list):
            items = [r for r in body if isinstance(r, dict)]
        else:
            raise PayloadError(_("%(url)s : réponse inattendue") % {"url": payloads[0].url})
        records = []
        for n, r in enumerate(items, start=1):
            zone, at = as_code(r.get("insee")) or "", as_day(r.get("date"))
            value = as_float(r.get("indice", r.get("niveau")))
            if not zone or at is None or value is None:
                parsed.problems.append(
                    RowProblem(_("enregistrement %(n)d") % {"n": n}, _("insee, date ou indice manquant"))
                )
                continue
            parsed.points.append(
                {
                    "series": f"atmo:{zone}:index",
                    "at": at,
                    "value": value,
                    "unit": "indice",
                    "kind": "forecast" if local_day(at) > paris_today() else "observation",
                }
            )
            records.append({"insee": zone, "date": at, "indice": value})
        if records:
            parsed.table = records_table(records)
        return parsed
