"""MeteoAlarm Atom+CAP feed for France (keyless): weather warnings per département.

Each Atom entry carries CAP fields (``cap:event``, ``cap:areaDesc``, ``cap:geocode`` with NUTS3 or
EMMA_ID codes, ``cap:effective``/``cap:expires``, and the MeteoAlarm parameters
``awareness_level`` "2; yellow; Moderate" and ``awareness_type`` "1; Wind"). XML is parsed with
entities and network access disabled.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError, RowProblem
from beffroi.sources.connectors.values import as_datetime, records_table

NS = {"atom": "http://www.w3.org/2005/Atom", "cap": "urn:oasis:names:tc:emergency:cap:1.2"}
NUTS3 = {
    "75": "FR101",
    "77": "FR102",
    "78": "FR103",
    "91": "FR104",
    "92": "FR105",
    "93": "FR106",
    "94": "FR107",
    "95": "FR108",
}
HAZARDS = {
    "1": "vent",
    "2": "neige-verglas",
    "3": "orages",
    "4": "brouillard",
    "5": "canicule",
    "6": "grand-froid",
    "7": "vagues-submersion",
    "8": "feux-de-foret",
    "9": "avalanches",
    "10": "pluie",
    "12": "crues",
    "13": "pluie-crues",
}


def safe_xml(content: bytes, url: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    if b"<!DOCTYPE" in content[:2048] or b"<!ENTITY" in content[:4096]:
        raise PayloadError(_("%(url)s : le flux déclare un DOCTYPE ou des entités ; refusé") % {"url": url})
    try:
        return etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise PayloadError(_("%(url)s : XML mal formé (%(error)s)") % {"url": url, "error": exc}) from None


class MeteoAlarm(Connector):
    kind = "meteoalarm"
    title = gettext_lazy("MeteoAlarm — vigilance météo (CAP, France)")
    default_base_url = "https://feeds.meteoalarm.org/feeds/meteoalarm-legacy-atom-france"
    default_period = 900
    live = True
    licence = "MeteoAlarm / Météo-France (conditions d'utilisation à vérifier avant rediffusion)"
    options = {"departments": "département codes, comma-separated (e.g. 92,94)"}
    required = ("departments",)

    def fetch(self):
        return [self.get(self.base_url)]

    def parse(self, payloads):
        parsed = Parsed()
        page = payloads[0]
        root = safe_xml(page.content, page.url)
        if root.tag != f"{{{NS['atom']}}}feed":
            raise PayloadError(
                _("%(url)s : ce n'est pas un flux Atom (racine %(root)s)")
                % {"url": page.url, "root": root.tag}
            )
        wanted = {}
        for dep in self.list_option("departments"):
            wanted[dep] = dep
            if dep in NUTS3:
                wanted[NUTS3[dep]] = dep
        records = []
        for n, entry in enumerate(root.findall("atom:entry", NS), start=1):
            codes = [v.text or "" for v in entry.findall("cap:geocode/cap:value", NS)] + [
                v.text or "" for v in entry.findall("cap:geocode", NS)
            ]
            found: str | None = next((wanted[c.strip()] for c in codes if c.strip() in wanted), None)
            if found is None:
                continue
            dep = found
            level_text = _param(entry, "awareness_level")
            type_text = _param(entry, "awareness_type")
            try:
                level = int(level_text.split(";")[0])
            except (ValueError, AttributeError):
                parsed.problems.append(
                    RowProblem(
                        _("entrée %(n)d") % {"n": n},
                        _("pas d'awareness_level (%(value)r)") % {"value": level_text},
                    )
                )
                continue
            hazard_code = (type_text or "").split(";")[0].strip()
            hazard = HAZARDS.get(hazard_code, _text(entry, "cap:event") or "inconnu")
            at = as_datetime(
                _text(entry, "cap:effective") or _text(entry, "cap:onset") or _text(entry, "atom:updated")
            )
            if at is None:
                parsed.problems.append(RowProblem(_("entrée %(n)d") % {"n": n}, _("aucune date valide")))
                continue
            parsed.points.append(
                {
                    "series": f"meteo:{dep}:{hazard}",
                    "at": at,
                    "value": float(level),
                    "unit": "niveau",
                    "kind": "observation",
                }
            )
            records.append(
                {
                    "departement": dep,
                    "hazard": hazard,
                    "level": level,
                    "event": _text(entry, "cap:event"),
                    "area": _text(entry, "cap:areaDesc"),
                    "effective": at,
                    "expires": as_datetime(_text(entry, "cap:expires")),
                    "severity": _text(entry, "cap:severity"),
                    "identifier": _text(entry, "cap:identifier"),
                }
            )
        if records:
            parsed.table = records_table(records)
        return parsed


def _text(entry, path: str) -> str:
    el = entry.find(path, NS)
    return (el.text or "").strip() if el is not None else ""


def _param(entry, name: str) -> str:
    for el in entry.findall("cap:parameter", NS):
        if (el.findtext("cap:valueName", namespaces=NS) or "").strip() == name:
            return (el.findtext("cap:value", namespaces=NS) or "").strip()
    for el in entry.iter():
        if isinstance(el.tag, str) and el.tag.endswith(name):
            return (el.text or "").strip()
    return ""
