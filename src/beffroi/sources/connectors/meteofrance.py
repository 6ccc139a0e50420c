"""Météo-France vigilance (DPVigilance v1, API key): colour per département and phenomenon.

``GET /public/DPVigilance/v1/cartevigilance/encours`` with header ``apikey``; the key is read from
``BEFFROI_METEOFRANCE_API_KEY`` (free account on https://portail-api.meteofrance.fr).

The map has two periods: ``echeance`` ``J`` (today, an observation of the colour in force) and
``J1`` (the next-day map, a forecast point of the same series at the start of its validity, issued
at the bulletin's ``update_time``, else at ``meta.product_datetime``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError, RowProblem
from beffroi.sources.connectors.values import (
    as_code,
    as_datetime,
    as_int,
    as_text,
    obj,
    objects,
    records_table,
)

PHENOMENA = {
    "1": "vent",
    "2": "pluie-inondation",
    "3": "orages",
    "4": "crues",
    "5": "neige-verglas",
    "6": "canicule",
    "7": "grand-froid",
    "8": "avalanches",
    "9": "vagues-submersion",
}


class MeteoFrance(Connector):
    kind = "meteofrance"
    title = gettext_lazy("Météo-France — vigilance")
    default_base_url = "https://public-api.meteofrance.fr/public/DPVigilance/v1"
    default_period = 900
    live = True
    licence = "Licence Ouverte / Etalab 2.0 — Météo-France"
    options = {"departments": "département codes, comma-separated (e.g. 92,94)"}
    required = ("departments",)
    key_env = ("BEFFROI_METEOFRANCE_API_KEY",)
    key_help = gettext_lazy(
        "Clé à demander sur https://portail-api.meteofrance.fr (API « Données Publiques Vigilance »)."
    )

    def fetch(self):
        key = self.credential("BEFFROI_METEOFRANCE_API_KEY")
        return [
            self.get(
                f"{self.base_url}/cartevigilance/encours",
                headers={"apikey": key, "accept": "application/json"},
            )
        ]

    def parse(self, payloads):
        parsed = Parsed()
        body = self.json_of(payloads[0])
        product = body.get("product") if isinstance(body, dict) else None
        if not isinstance(product, dict) or not isinstance(product.get("periods"), list):
            raise PayloadError(
                _("%(url)s : pas de product.periods dans la réponse") % {"url": payloads[0].url}
            )
        wanted = set(self.list_option("departments"))
        meta = obj(body.get("meta"))
        issued = as_datetime(product.get("update_time")) or as_datetime(meta.get("product_datetime"))
        records = []
        for n, period in enumerate(objects(product["periods"], "product.periods", parsed), start=1):
            echeance = as_text(period.get("echeance"))
            begin = as_datetime(period.get("begin_validity_time"))
            if echeance not in ("J", "J1"):
                # another period name would be a change of the service: say it, keep the others
                parsed.problems.append(
                    RowProblem(
                        _("période %(n)d") % {"n": n},
                        _("echeance inconnue %(value)r") % {"value": period.get("echeance")},
                    )
                )
                continue
            kind = "observation" if echeance == "J" else "forecast"
            domains = objects(
                obj(period.get("timelaps")).get("domain_ids"),
                _("période %(n)d domain_ids") % {"n": n},
                parsed,
            )
            for domain in domains:
                dep = as_code(domain.get("domain_id")) or ""
                if dep not in wanted:
                    continue
                for item in objects(domain.get("phenomenon_items"), f"{dep} phenomenon_items", parsed):
                    pid = as_code(item.get("phenomenon_id")) or ""
                    colour = as_int(item.get("phenomenon_max_color_id"))
                    if colour is None or not 1 <= colour <= 4:  # vert, jaune, orange, rouge
                        parsed.problems.append(
                            RowProblem(
                                f"{dep} {pid}",
                                _("pas de couleur (%(value)r)")
                                % {"value": item.get("phenomenon_max_color_id")},
                            )
                        )
                        continue
                    hazard = PHENOMENA.get(pid, f"phenomene-{pid}")
                    if begin is None:
                        parsed.problems.append(RowProblem(f"{dep} {pid}", _("pas de début de validité")))
                        continue
                    point = {
                        "series": f"meteo:{dep}:{hazard}",
                        "at": begin,
                        "value": float(colour),
                        "unit": "niveau",
                        "kind": kind,
                    }
                    if kind == "forecast" and issued is not None:
                        point["issued_at"] = issued
                    parsed.points.append(point)
                    records.append(
                        {
                            "departement": dep,
                            "hazard": hazard,
                            "colour": colour,
                            "echeance": echeance,
                            "begin": begin,
                            "end": as_datetime(period.get("end_validity_time")),
                            "update_time": issued,
                        }
                    )
        if records:
            parsed.table = records_table(records)
        return parsed
