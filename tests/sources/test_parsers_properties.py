"""Whatever a public source answers, a connector either parses it or says what is wrong with it.

For each connector, hypothesis feeds ``parse`` (and, where ``fetch`` reads the answer to follow
pages or log in, ``fetch`` too) arbitrary JSON values and mutations of a recorded-format fixture
(keys removed, values replaced by other types, numbers as strings, nulls, one object where a list
is expected and the reverse). The only failure allowed is a ``PayloadError``; anything else
(AttributeError on a bare list, TypeError on a null, OverflowError on a huge number...) would be an
"internal error" in the catalogue instead of a message saying what the source got wrong.
"""

from __future__ import annotations

import copy
import json
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from beffroi.sources.connectors import get_connector_class
from beffroi.sources.connectors.base import Parsed
from beffroi.sources.connectors.errors import PayloadError
from beffroi.sources.connectors.http import Fetched
from beffroi.sources.runner import points_table

FIXTURES = Path(__file__).parent.parent / "fixtures"
BASE = "https://source.test"
KEYS = {
    "BEFFROI_METEOFRANCE_API_KEY": "k",
    "BEFFROI_ATMO_USERNAME": "u",
    "BEFFROI_ATMO_PASSWORD": "p",
    "BEFFROI_AIRPARIF_API_KEY": "k",
    "BEFFROI_PRIM_API_KEY": "k",
}
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- generated values ---------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["", "?", "3", "2,5", "1e999", "nan", "2026-11-28T10:00:00Z", "0001-01-01T00:00:00+01:00"]
    ),
)
keys = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["data", "next", "features", "properties", "geometry", "value", "results", "resource"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=20,
)


def _replacement(node: Any):
    """What a mutated node becomes: another type, a null, its text, or wrapped in a list/object."""
    options = [json_values, st.none(), st.just([node]), st.just({"value": node})]
    if not isinstance(node, (dict, list)):
        options.append(st.just(str(node)))
    if isinstance(node, list) and node:
        options.append(st.just(node[0]))
    return st.one_of(*options)


@st.composite
def mutated(draw, doc: Any):
    """A copy of ``doc`` with 1–4 changes at random places."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 4))):
        doc = _mutate(draw, doc)
    return doc


def _mutate(draw, node: Any):
    if isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node)))
        op = draw(st.sampled_from(["descend", "descend", "descend", "delete", "here"]))
        if op == "delete":
            del node[key]
            return node
        if op == "descend":
            node[key] = _mutate(draw, node[key])
            return node
    elif isinstance(node, list) and node:
        index = draw(st.integers(0, len(node) - 1))
        op = draw(st.sampled_from(["descend", "descend", "descend", "delete", "here"]))
        if op == "delete":
            del node[index]
            return node
        if op == "descend":
            node[index] = _mutate(draw, node[index])
            return node
    return draw(_replacement(node))


def dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


# --- the connectors and their fixtures ----------------------------------------------------------


@dataclass
class Case:
    kind: str
    config: dict[str, Any]
    pages: list[tuple[str, str]]  # (fixture, URL it was fetched from)
    status: int = 200
    mutable: list[int] = field(default_factory=lambda: [0])  # which payloads are JSON to mutate

    @property
    def id(self) -> str:
        mode = self.config.get("mode")
        return f"{self.kind}-{mode}" if mode else self.kind

    def docs(self) -> dict[int, Any]:
        return {n: json.loads((FIXTURES / self.pages[n][0]).read_text()) for n in self.mutable}

    def payloads(self, bodies: dict[int, bytes]) -> list[Fetched]:
        out = []
        for n, (name, url) in enumerate(self.pages):
            content = bodies.get(n, (FIXTURES / name).read_bytes())
            out.append(Fetched(url=url, status=self.status, headers={}, content=content))
        return out


JSON_CASES = [
    Case(
        "hubeau",
        {"stations": "F664000104"},
        [("hubeau/observations_tr_H_page1.json", f"{BASE}/observations_tr?grandeur_hydro=H")],
    ),
    Case(
        "hubeau-stations",
        {"departments": "92"},
        [("hubeau/referentiel_stations_page1.json", f"{BASE}/referentiel/stations?page=1")],
    ),
    Case(
        "vigicrues",
        {"territories": "7"},
        [
            (
                "vigicrues/InfoVigiCru_territory.jsonld",
                f"{BASE}/InfoVigiCru.jsonld?CdEntVigiCru=7&TypEntVigiCru=5",
            )
        ],
    ),
    Case(
        "vigicrues",
        {"sections": "IF5"},
        [
            (
                "vigicrues/InfoVigiCru_section.jsonld",
                f"{BASE}/InfoVigiCru.jsonld?CdEntVigiCru=IF5&TypEntVigiCru=8",
            )
        ],
    ),
    Case("vigicrues-sections", {}, [("vigicrues/InfoVigiCru.geojson", f"{BASE}/InfoVigiCru.geojson")]),
    Case(
        "vigicrues",
        {"departments": "75,94"},
        [
            (
                "vigicrues/InfoVigiCru_national_departements.jsonld",
                f"{BASE}/InfoVigiCru.jsonld?TypEntVigiCru=4",
            )
        ],
    ),
    Case(
        "vigicrues-hydro",
        {"stations": "F664000104"},
        [
            (
                "vigicrues/observations_F664000104_H.json",
                f"{BASE}/observations.json?CdStationHydro=F664000104",
            ),
            ("vigicrues/previsions_F664000104_H.json", f"{BASE}/previsions.json?CdStationHydro=F664000104"),
            (
                "vigicrues/prevision_v11_F664000104_H.json",
                f"{BASE}/previsions.json?CdStationHydro=F664000104",
            ),
            ("vigicrues/observations_F664000104_Q_simple.json", f"{BASE}/observations.json?GrdSerie=Q"),
        ],
        mutable=[0, 1, 2, 3],
    ),
    Case(
        "vigicrues-catalogue",
        {"territories": "7"},
        [
            ("vigicrues/TerEntVigiCru_7.jsonld", f"{BASE}/TerEntVigiCru.jsonld?CdEntVigiCru=7"),
            ("vigicrues/TronEntVigiCru_IF17.jsonld", f"{BASE}/TronEntVigiCru.jsonld?CdEntVigiCru=IF17"),
            (
                "vigicrues/StaEntVigiCru_F664000104.jsonld",
                f"{BASE}/StaEntVigiCru.jsonld?CdEntVigiCru=F664000104",
            ),
        ],
        mutable=[0, 1, 2],
    ),
    Case(
        "meteofrance",
        {"departments": "92"},
        [("meteofrance/cartevigilance_encours.json", f"{BASE}/cartevigilance/encours")],
    ),
    Case("atmo", {"communes": "92063"}, [("atmo/indices_atmo.geojson", f"{BASE}/api/v2/data/indices/atmo")]),
    Case(
        "atmo",
        {"communes": "92063,94052,92033"},
        [("atmo/indices_atmo_j1.geojson", f"{BASE}/api/v2/data/indices/atmo")],
    ),
    Case(
        "meteofrance",
        {"departments": "94,13"},
        [("meteofrance/cartevigilance_j1.json", f"{BASE}/cartevigilance/encours")],
    ),
    Case(
        "airparif",
        {"communes": "92063"},
        [("airparif/prevision_commune.json", f"{BASE}/indices/prevision/commune?insee=92063")],
    ),
    Case(
        "georisques",
        {"communes": "92063"},
        [("georisques/catnat_page1.json", f"{BASE}/gaspar/catnat?code_insee=92063")],
    ),
    Case(
        "opendatasoft",
        {"dataset": "erp"},
        [("opendatasoft/records_page1.json", f"{BASE}/api/explore/v2.1/catalog/datasets/erp/records")],
    ),
    Case(
        "opendatasoft",
        {"dataset": "erp", "mode": "export"},
        [("opendatasoft/export.json", f"{BASE}/api/explore/v2.1/catalog/datasets/erp/exports/json")],
    ),
    Case(
        "datagouv",
        {"dataset": "erp", "mode": "metadata"},
        [("datagouv/dataset.json", f"{BASE}/api/1/datasets/erp/")],
    ),
    Case(
        "datagouv",
        {"resource": "r1", "mode": "tabular"},
        [("datagouv/tabular_page1.json", f"{BASE}/api/resources/r1/data/")],
    ),
    Case(
        "idfm",
        {"mode": "general-message"},
        [("idfm/general_message.json", f"{BASE}/general-message")],
    ),
    Case(
        "idfm",
        {"mode": "stop-monitoring", "stops": "41178"},
        [("idfm/stop_monitoring_41178.json", f"{BASE}/stop-monitoring?MonitoringRef=41178")],
    ),
]
# a download is staged through the file import (disk, checks): fewer examples keep the file fast
DOWNLOAD = Case(
    "datagouv",
    {"resource": "r1", "mode": "download"},
    [
        ("datagouv/resource_api2.json", f"{BASE}/api/2/datasets/resources/r1/"),
        ("datagouv/erp-rueil.csv", f"{BASE}/erp-rueil.csv"),
    ],
)
IDS = [c.id + ("-" + c.config.get("sections", "")) * bool(c.config.get("sections")) for c in JSON_CASES]


@contextmanager
def credentials():
    # Connectors read their keys from settings (SOURCE_API_KEYS, built from the environment at start).
    with override_settings(SOURCE_API_KEYS={**django_settings.SOURCE_API_KEYS, **KEYS}):
        yield


_PARSERS: dict[str, Any] = {}


def connector(case: Case, http=None):
    """A connector for ``case``; parse never touches HTTP, so parse tests share one without a client."""
    cls = get_connector_class(case.kind)
    return cls(
        cls.validate_config(dict(case.config, base_url=BASE)),
        source_name="prop",
        http=http or FakeHttp(b""),
    )


def parser(case: Case):
    key = json.dumps([case.kind, case.config], sort_keys=True)
    if key not in _PARSERS:
        _PARSERS[key] = connector(case)
    return _PARSERS[key]


def check(call):
    """Run ``call``; it must return a well-formed ``Parsed`` or raise ``PayloadError``."""
    try:
        parsed = call()
    except PayloadError as exc:
        assert str(exc), "a PayloadError says what is wrong"
        return None
    assert isinstance(parsed, Parsed)
    for point in parsed.points:
        assert isinstance(point["series"], str) and isinstance(point["value"], float)
        assert math.isfinite(point["value"]) and point["at"].tzinfo is not None
    points_table(parsed.points)  # what the runner stores must build
    if parsed.staged is not None:
        parsed.staged.discard()
    return parsed


@pytest.mark.parametrize("case", JSON_CASES, ids=IDS)
def test_the_recorded_fixture_parses(case):
    parsed = check(lambda: connector(case).parse(case.payloads({})))
    assert parsed is not None and parsed.rows > 0, case.id


@pytest.mark.parametrize("case", JSON_CASES, ids=IDS)
@PROPERTY
@given(data=st.data())
def test_parse_of_any_json_is_a_result_or_a_payload_error(case, data):
    bodies = {n: dump(data.draw(json_values, label=f"payload {n}")) for n in case.mutable}
    check(lambda: parser(case).parse(case.payloads(bodies)))


@pytest.mark.parametrize("case", JSON_CASES, ids=IDS)
@PROPERTY
@given(data=st.data())
def test_parse_of_a_mutated_fixture_is_a_result_or_a_payload_error(case, data):
    docs = case.docs()
    bodies = {n: dump(data.draw(mutated(docs[n]), label=f"payload {n}")) for n in case.mutable}
    check(lambda: parser(case).parse(case.payloads(bodies)))


# --- fetch reads the answers too (pages, cursors, login) ----------------------------------------


class FakeHttp:
    """Answers every request with the same body, as a source gone wrong would."""

    def __init__(self, content: bytes, status: int = 200):
        self.content, self.status, self.calls = content, status, 0

    def request(self, method, url, *, params=None, headers=None, accept=(200,), json=None):
        self.calls += 1
        assert self.calls <= 150, "fetch must stop following pages"
        assert isinstance(url, str), f"fetch followed a {type(url).__name__} as a URL"
        return Fetched(url=url, status=self.status, headers={}, content=self.content)

    def close(self):
        pass


FETCH_CASES = [
    (
        Case("hubeau", {"stations": "X", "grandeurs": "H", "max_pages": "3"}, []),
        "hubeau/observations_tr_H_page1.json",
        206,
    ),
    (
        Case("hubeau-stations", {"departments": "92", "max_pages": "3"}, []),
        "hubeau/referentiel_stations_page1.json",
        200,
    ),
    (Case("georisques", {"communes": "92063", "max_pages": "3"}, []), "georisques/catnat_page1.json", 200),
    (Case("opendatasoft", {"dataset": "erp"}, []), "opendatasoft/records_page1.json", 200),
    (
        Case("datagouv", {"resource": "r1", "mode": "tabular", "max_pages": "3"}, []),
        "datagouv/tabular_page1.json",
        200,
    ),
    (Case("atmo", {"communes": "92063"}, []), "atmo/login.json", 200),
    (Case("vigicrues", {"sections": "IF5"}, []), "vigicrues/InfoVigiCru_section.jsonld", 200),
    (Case("vigicrues-catalogue", {"territories": "7"}, []), "vigicrues/TerEntVigiCru_7.jsonld", 200),
    (Case("vigicrues-catalogue", {"territories": "7"}, []), "vigicrues/TronEntVigiCru_IF17.jsonld", 200),
    (Case("meteofrance", {"departments": "92"}, []), "meteofrance/cartevigilance_encours.json", 200),
    (Case("meteofrance", {"departments": "94"}, []), "meteofrance/cartevigilance_j1.json", 200),
]


@pytest.mark.parametrize(("case", "fixture", "status"), FETCH_CASES, ids=[c[0].id for c in FETCH_CASES])
@PROPERTY
@given(data=st.data())
def test_fetch_then_parse_of_any_answer_is_a_result_or_a_payload_error(case, fixture, status, data):
    doc = json.loads((FIXTURES / fixture).read_text().replace("{base}", BASE))
    body = data.draw(st.one_of(json_values, mutated(doc)), label="answer")
    content = dump(body)
    http = FakeHttp(content, status)
    with credentials():
        conn = connector(case, http=http)
        check(lambda: conn.parse(conn.fetch()))


class DownloadHttp(FakeHttp):
    """The resource's metadata first, then the file it points at (a valid CSV)."""

    def __init__(self, meta: bytes, file: bytes):
        super().__init__(meta)
        self.file = file

    def request(self, method, url, **kwargs):
        fetched = super().request(method, url, **kwargs)
        if self.calls > 1:
            return Fetched(url=url, status=200, headers={}, content=self.file)
        return fetched


# --- MeteoAlarm is XML: mutate the recorded feed -----------------------------------------------

XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20) | st.sampled_from(
    ["", "3; orange; Severe", "x; y", ";", "2026-11-28T10:00:00+01:00", "FR105", "92"]
)


@st.composite
def mutated_feed(draw) -> bytes:
    root = etree.fromstring((FIXTURES / "meteoalarm/feed-france.atom").read_bytes())
    elements = list(root.iter())
    for _ in range(draw(st.integers(1, 6))):
        el = elements[draw(st.integers(0, len(elements) - 1))]
        op = draw(st.sampled_from(["text", "remove", "empty", "duplicate"]))
        parent = el.getparent()
        if op == "text":
            el.text = draw(XML_TEXT)
        elif op == "remove" and parent is not None and el in parent:
            parent.remove(el)
        elif op == "empty":
            for child in list(el):
                el.remove(child)
        elif op == "duplicate" and parent is not None and el in parent:
            parent.append(copy.deepcopy(el))
    return etree.tostring(root)


@PROPERTY
@given(content=mutated_feed() | st.binary(max_size=200) | json_values.map(dump))
def test_meteoalarm_parse_of_a_mutated_feed_is_a_result_or_a_payload_error(content):
    case = Case("meteoalarm", {"departments": "92,94"}, [])
    conn = parser(case)
    check(lambda: conn.parse([Fetched(url=BASE, status=200, headers={}, content=content)]))


@settings(PROPERTY, max_examples=30)
@given(data=st.data())
def test_datagouv_download_of_any_resource_answer_is_a_result_or_a_payload_error(data):
    doc = DOWNLOAD.docs()[0]
    meta = data.draw(st.one_of(json_values, mutated(doc)), label="resource answer")
    check(lambda: parser(DOWNLOAD).parse(DOWNLOAD.payloads({0: dump(meta)})))
    http = DownloadHttp(dump(meta), (FIXTURES / "datagouv/erp-rueil.csv").read_bytes())
    conn = connector(DOWNLOAD, http=http)
    check(lambda: conn.parse(conn.fetch()))


def test_datagouv_download_fixture_parses():
    parsed = check(lambda: parser(DOWNLOAD).parse(DOWNLOAD.payloads({})))
    assert parsed is not None and parsed.rows > 0


def test_a_station_list_answered_as_a_bare_list_says_so():
    case = Case("hubeau-stations", {"departments": "92"}, [])
    conn = connector(case, http=FakeHttp(b'[{"code_station": "F664000104"}]'))
    with pytest.raises(PayloadError, match="objet JSON attendu, reçu une liste"):
        conn.fetch()
    with pytest.raises(PayloadError, match="pas de liste 'data'"):
        parser(case).parse(
            [Fetched(url=f"{BASE}/referentiel/stations", status=200, headers={}, content=b"[]")]
        )
