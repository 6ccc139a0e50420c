"""Île-de-France Mobilités PRIM real time (SIRI-Lite JSON, header ``apiKey``).

Modes (option ``mode``):

- ``general-message`` (default): ``GET /general-message``, once for the whole network or once per
  line of ``lines`` (``LineRef`` filter); one row per InfoMessage (disruption or information).
- ``stop-monitoring``: ``GET /stop-monitoring?MonitoringRef=STIF:StopPoint:Q:<id>:`` per stop of
  ``stops``; one row per upcoming departure.

The key is read from ``BEFFROI_PRIM_API_KEY`` (free account on https://prim.iledefrance-mobilites.fr).
Quirks handled: values wrapped in ``{"value": …}`` or bare; one object where a list is expected and
the reverse; texts as ``[{"value": …, "lang": "F"}]`` (French first); an empty delivery (a normal
empty result, which replaces the previous table so ended disruptions disappear); a delivery with
``Status: "false"`` and an ``ErrorCondition`` (reported per request, a failure only if every
request failed); the same message returned for several lines (kept once); visits at a terminus
with no departure time (skipped, counted in a note). Line and stop codes may be given short
(``C01742``, ``IDFM:C01742``, ``41178``, ``IDFM:41178``) and are written as SIRI references.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.core.errors import Problem, UserError
from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import FetchError, PayloadError, RowProblem, SourceError
from beffroi.sources.connectors.http import Fetched
from beffroi.sources.connectors.values import as_datetime

KEY_ENV = "BEFFROI_PRIM_API_KEY"
MODES = ("general-message", "stop-monitoring")
FRENCH = {"f", "fr", "fre", "fra", "fr-fr"}
TIME = pa.timestamp("us", tz="UTC")

GENERAL_MESSAGE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("line_refs", pa.string()),
        ("stop_refs", pa.string()),
        ("message", pa.string()),
        ("short_message", pa.string()),
        ("valid_from", TIME),
        ("valid_until", TIME),
        ("severity", pa.string()),
        ("channel", pa.string()),
        ("recorded_at", TIME),
    ]
)
STOP_MONITORING_SCHEMA = pa.schema(
    [
        ("stop_ref", pa.string()),
        ("stop_name", pa.string()),
        ("line_ref", pa.string()),
        ("direction", pa.string()),
        ("destination", pa.string()),
        ("aimed_departure", TIME),
        ("expected_departure", TIME),
        ("departure_status", pa.string()),
        ("vehicle_at_stop", pa.bool_()),
        ("recorded_at", TIME),
    ]
)


# --- SIRI-Lite values ---------------------------------------------------------------------------


def line_ref(code: str) -> str:
    """``C01742`` or ``IDFM:C01742`` (GTFS route id) → ``STIF:Line::C01742:``; anything else as is."""
    match = re.fullmatch(r"(?:IDFM:)?(C\d+)", code.strip())
    return f"STIF:Line::{match.group(1)}:" if match else code.strip()


def stop_ref(code: str) -> str:
    """``41178`` or ``IDFM:41178`` (GTFS quay id) → ``STIF:StopPoint:Q:41178:``; anything else as is."""
    match = re.fullmatch(r"(?:IDFM:)?(\d+)", code.strip())
    return f"STIF:StopPoint:Q:{match.group(1)}:" if match else code.strip()


def scalar(value: Any) -> str | None:
    """``x``, ``{"value": x}`` or ``[{"value": x}, …]`` → the first non-empty ``x`` as text."""
    if isinstance(value, list):
        for item in value:
            text = scalar(item)
            if text:
                return text
        return None
    if isinstance(value, dict):
        return scalar(value.get("value"))
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def refs(value: Any) -> list[str]:
    """A reference or a list of references, wrapped or bare → distinct texts in order."""
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        text = scalar(item)
        if text and text not in out:
            out.append(text)
    return out


def text_fr(value: Any) -> str | None:
    """A SIRI-Lite text (``[{"value", "lang"}]``, one such object, or a string), French first."""
    texts: list[tuple[str, str]] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            text, lang = scalar(item.get("value")), str(item.get("lang") or "").strip().lower()
        else:
            text, lang = scalar(item), ""
        if text:
            texts.append((lang, text))
    for wanted in (lambda lang: lang in FRENCH, lambda lang: not lang, lambda lang: True):
        for lang, text in texts:
            if wanted(lang):
                return text
    return None


def flag(value: Any) -> bool | None:
    value = value.get("value") if isinstance(value, dict) else value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def time_of(value: Any):
    return as_datetime(scalar(value))


def obj(value: Any) -> dict:
    """An object, or an empty one when the member is absent or of another type."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list | None:
    """A list stays a list, one object becomes a list of one, absent is empty; anything else is None."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return value if isinstance(value, list) else None


def messages_of(content: dict) -> tuple[str | None, str | None]:
    """(full text, short text) from ``Content.Message``: the long form first, the short one apart."""
    by_type: dict[str, str] = {}
    for message in as_list(content.get("Message")) or []:
        if isinstance(message, dict):
            text = text_fr(message.get("MessageText"))
            if text:
                by_type.setdefault((scalar(message.get("MessageType")) or "").upper(), text)
    short = by_type.get("SHORT_MESSAGE")
    full = next((text for kind, text in by_type.items() if kind != "SHORT_MESSAGE"), None)
    return full or short, short


def delivery_error(delivery: dict) -> str | None:
    """The error text of a delivery answered with ``Status: "false"``, else None."""
    if flag(delivery.get("Status")) is not False:
        return None

    def find(node: Any) -> str | None:
        if isinstance(node, dict):
            for key in ("ErrorText", "Description"):
                text = scalar(node.get(key))
                if text:
                    return text
            return next((t for t in map(find, node.values()) if t), None)
        if isinstance(node, list):
            return next((t for t in map(find, node) if t), None)
        return None

    return find(delivery.get("ErrorCondition")) or _("la livraison a Status false et aucun texte d'erreur")


# --- the connector ------------------------------------------------------------------------------


class Idfm(Connector):
    kind = "idfm"
    title = gettext_lazy("Île-de-France Mobilités — temps réel (PRIM)")
    default_base_url = "https://prim.iledefrance-mobilites.fr/marketplace"
    default_period = 300
    licence = "Licence Mobilités — Île-de-France Mobilités (à vérifier)"
    options = {
        "mode": "general-message (disruptions, default) or stop-monitoring (next departures)",
        "lines": "line references, comma-separated (STIF:Line::C01742: or C01742); general-message: "
        "one request per line (default: the whole network); stop-monitoring: keep these lines only",
        "LineRef": "same as lines",
        "stops": "stop references for stop-monitoring, comma-separated (STIF:StopPoint:Q:41178: or 41178)",
    }
    key_env = (KEY_ENV,)
    key_help = gettext_lazy(
        "Créez un compte gratuit sur https://prim.iledefrance-mobilites.fr et générez-y un jeton d'API."
    )

    @classmethod
    def validate_config(cls, config):
        clean = super().validate_config(config)
        alias = clean.pop("LineRef", None)
        if alias:
            clean["lines"] = ",".join(v for v in (clean.get("lines"), alias) if v)
        mode = clean.setdefault("mode", "general-message")
        if mode not in MODES:
            raise UserError(
                _("Le mode d'une source idfm doit être %(modes)s (reçu %(mode)r).")
                % {"modes": _(" ou ").join(MODES), "mode": mode},
                [Problem(_("mode inconnu"), field="mode")],
            )
        if mode == "stop-monitoring" and not clean.get("stops"):
            raise UserError(
                _(
                    "Le mode stop-monitoring demande des arrêts "
                    "(par exemple -o stops=STIF:StopPoint:Q:41178:)."
                ),
                [Problem(_("option obligatoire"), field="stops")],
            )
        return clean

    @classmethod
    def default_title(cls, config):
        if config.get("mode") == "stop-monitoring":
            return f"IDFM — prochains passages {config.get('stops', '')}"
        lines = config.get("lines")
        return f"IDFM — perturbations {lines}" if lines else "IDFM — perturbations du réseau"

    @property
    def mode(self) -> str:
        return str(self.config.get("mode") or "general-message")

    @property
    def label(self) -> str:
        return f"IDFM PRIM {self.mode}"

    def _distinct(self, name: str, normalise) -> list[str]:
        return list(dict.fromkeys(normalise(v) for v in self.list_option(name)))

    # --- fetch ----------------------------------------------------------------------------------
    def fetch(self):
        if self.mode not in MODES:
            raise SourceError(
                _("%(source)s : mode inconnu (utilisez %(modes)s)")
                % {"source": self.label, "modes": _(" ou ").join(MODES)}
            )
        headers = {"apiKey": self.credential(KEY_ENV), "Accept": "application/json"}
        if self.mode == "stop-monitoring":
            stops = self._distinct("stops", stop_ref)
            if not stops:
                raise SourceError(
                    _("%(source)s : aucun arrêt configuré (option stops)") % {"source": self.label}
                )
            return [self._get("/stop-monitoring", {"MonitoringRef": ref}, headers) for ref in stops]
        lines = self._distinct("lines", line_ref)
        if not lines:
            return [self._get("/general-message", None, headers)]
        return [self._get("/general-message", {"LineRef": ref}, headers) for ref in lines]

    def _get(self, path: str, params: dict | None, headers: dict) -> Fetched:
        try:
            return self.get(f"{self.base_url}{path}", params=params, headers=headers)
        except FetchError as exc:
            raise FetchError(self._explain(exc), status=exc.status) from None

    def _explain(self, exc: FetchError) -> str:
        if exc.status in (401, 403):
            message = _(
                "%(source)s : PRIM a refusé la clé d'API (HTTP %(status)s) ; vérifiez %(env)s "
                "(jeton erroné, expiré ou révoqué)."
            ) % {"source": self.label, "status": exc.status, "env": KEY_ENV}
            return f"{message} {self.key_help}"
        if exc.status == 429:
            return _(
                "%(source)s : quota PRIM dépassé (HTTP 429). PRIM limite les requêtes par jour pour "
                "chaque API et chaque clé : interrogez moins souvent (--period), suivez moins de lignes "
                "ou d'arrêts, ou attendez que le quota se renouvelle."
            ) % {"source": self.label}
        return _("%(source)s : %(error)s") % {"source": self.label, "error": exc}

    # --- parse ----------------------------------------------------------------------------------
    def parse(self, payloads):
        if self.mode == "stop-monitoring":
            return self._parse_stop_monitoring(payloads)
        return self._parse_general_message(payloads)

    def _deliveries(self, fetched: Fetched, key: str) -> list[dict]:
        try:
            body = self.json_of(fetched)
        except PayloadError as exc:
            raise PayloadError(_("%(source)s : %(error)s") % {"source": self.label, "error": exc}) from None
        siri = body.get("Siri") if isinstance(body, dict) else None
        service = siri.get("ServiceDelivery") if isinstance(siri, dict) else None
        if not isinstance(service, dict):
            raise PayloadError(
                _("%(source)s : pas de Siri.ServiceDelivery dans la réponse de %(url)s")
                % {"source": self.label, "url": fetched.url}
            )
        deliveries = as_list(service.get(key))
        if deliveries is None or not all(isinstance(d, dict) for d in deliveries):
            raise PayloadError(
                _("%(source)s : %(key)s n'est pas une liste de livraisons dans %(url)s")
                % {"source": self.label, "key": key, "url": fetched.url}
            )
        return deliveries

    def _items(self, payloads: list[Fetched], delivery_key: str, item_key: str, parsed: Parsed):
        """(where, item) for every item of every successful delivery; errors become problems."""
        errors: list[str] = []
        answered = 0
        items: list[tuple[str, Any]] = []
        for fetched in payloads:
            where = fetched.url
            for delivery in self._deliveries(fetched, delivery_key):
                error = delivery_error(delivery)
                if error:
                    errors.append(f"{where} : {error}")
                    parsed.problems.append(
                        RowProblem(where, _("PRIM a répondu par une erreur : %(error)s") % {"error": error})
                    )
                    continue
                answered += 1
                found = as_list(delivery.get(item_key))
                if found is None:
                    raise PayloadError(
                        _("%(source)s : %(key)s n'est pas une liste dans %(url)s")
                        % {"source": self.label, "key": item_key, "url": where}
                    )
                items += [(f"{where} {item_key} {n}", item) for n, item in enumerate(found, start=1)]
        if errors and not answered:
            raise PayloadError(
                _("%(source)s : PRIM a répondu par une erreur — %(errors)s")
                % {"source": self.label, "errors": " ; ".join(errors[:5])}
            )
        return items

    def _parse_general_message(self, payloads: list[Fetched]) -> Parsed:
        parsed = Parsed()
        records: list[dict[str, Any]] = []
        seen: set[str] = set()
        for where, message in self._items(payloads, "GeneralMessageDelivery", "InfoMessage", parsed):
            if not isinstance(message, dict):
                parsed.problems.append(RowProblem(where, _("ce n'est pas un objet")))
                continue
            ident = scalar(message.get("InfoMessageIdentifier")) or scalar(message.get("ItemIdentifier"))
            if not ident:
                parsed.problems.append(RowProblem(where, _("pas d'InfoMessageIdentifier")))
                continue
            if ident in seen:  # a message about several lines comes back once per line asked
                continue
            seen.add(ident)
            content = obj(message.get("Content"))
            full, short = messages_of(content)
            if not full:
                parsed.problems.append(
                    RowProblem(
                        where, _("%(id)s : pas de texte de message (gardé sans texte)") % {"id": ident}
                    )
                )
            period = obj(message.get("ValidityPeriod") or content.get("ValidityPeriod"))
            records.append(
                {
                    "id": ident,
                    "line_refs": ",".join(refs(content.get("LineRef"))) or None,
                    "stop_refs": ",".join(
                        refs(content.get("StopPointRef")) + refs(content.get("StopAreaRef"))
                    )
                    or None,
                    "message": full,
                    "short_message": short,
                    "valid_from": time_of(message.get("ValidFromTime")) or time_of(period.get("StartTime")),
                    "valid_until": time_of(message.get("ValidUntilTime")) or time_of(period.get("EndTime")),
                    "severity": scalar(message.get("Severity")) or scalar(content.get("Severity")),
                    "channel": scalar(message.get("InfoChannelRef")),
                    "recorded_at": time_of(message.get("RecordedAtTime")),
                }
            )
        parsed.table = pa.Table.from_pylist(records, schema=GENERAL_MESSAGE_SCHEMA)
        return parsed

    def _parse_stop_monitoring(self, payloads: list[Fetched]) -> Parsed:
        parsed = Parsed()
        records: list[dict[str, Any]] = []
        wanted_lines = set(self._distinct("lines", line_ref))
        arrivals_only = 0
        for where, visit in self._items(payloads, "StopMonitoringDelivery", "MonitoredStopVisit", parsed):
            journey = visit.get("MonitoredVehicleJourney") if isinstance(visit, dict) else None
            if not isinstance(journey, dict):
                parsed.problems.append(RowProblem(where, _("pas de MonitoredVehicleJourney")))
                continue
            call = obj(journey.get("MonitoredCall"))
            stop = scalar(visit.get("MonitoringRef")) or scalar(call.get("StopPointRef"))
            line = scalar(journey.get("LineRef"))
            if not stop or not line:
                parsed.problems.append(RowProblem(where, _("MonitoringRef ou LineRef manquant")))
                continue
            if wanted_lines and line not in wanted_lines:
                continue
            aimed, expected = (
                time_of(call.get("AimedDepartureTime")),
                time_of(call.get("ExpectedDepartureTime")),
            )
            if aimed is None and expected is None:
                arrivals_only += 1
                continue
            records.append(
                {
                    "stop_ref": stop,
                    "stop_name": text_fr(call.get("StopPointName")),
                    "line_ref": line,
                    "direction": text_fr(journey.get("DirectionName")) or scalar(journey.get("DirectionRef")),
                    "destination": text_fr(journey.get("DestinationName"))
                    or text_fr(call.get("DestinationDisplay")),
                    "aimed_departure": aimed,
                    "expected_departure": expected,
                    "departure_status": scalar(call.get("DepartureStatus")),
                    "vehicle_at_stop": flag(call.get("VehicleAtStop")),
                    "recorded_at": time_of(visit.get("RecordedAtTime")),
                }
            )
        if arrivals_only:
            parsed.notes.append(
                _("%(n)d passage(s) sans heure de départ (terminus) écarté(s)") % {"n": arrivals_only}
            )
        records.sort(key=lambda r: (r["stop_ref"], r["expected_departure"] or r["aimed_departure"]))
        parsed.table = pa.Table.from_pylist(records, schema=STOP_MONITORING_SCHEMA)
        return parsed
