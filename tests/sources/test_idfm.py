"""IDFM PRIM real time (SIRI-Lite JSON) against a local HTTP server serving recorded-format payloads."""

from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.sources import selectors
from beffroi.sources.actions import do_add_source
from beffroi.sources.models import Freshness, Run
from beffroi.sources.runner import run_source

pytestmark = pytest.mark.django_db


def rows(name):
    return pq.read_table(selectors.get_dataset(name).parquet_path).to_pylist()


def headers_of(request):
    return {k.lower(): v for k, v in request[3].items()}


@pytest.fixture
def key(settings):
    settings.SOURCE_API_KEYS = {"BEFFROI_PRIM_API_KEY": "pr1m-t0ken"}


# --- general-message ----------------------------------------------------------------------------


def test_disruptions_are_stored_one_row_per_message_with_french_text(server, make_source, key):
    server.route("/general-message", "idfm/general_message.json")
    src = make_source("idfm", name="perturbations", base_url=server.url)
    run = run_source(src, actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.OK, run.error
    assert len(server.requests) == 1 and server.requests[0][2] == {}  # whole network, no filter
    assert headers_of(server.requests[0])["apikey"] == "pr1m-t0ken"
    data = {r["id"]: r for r in rows("perturbations")}
    assert list(data) == [
        "RATP:InfoMessage::81234:LOC",
        "SNCF:InfoMessage::7781:LOC",
        "RATP:InfoMessage::81240:LOC",
    ]
    rer_a = data["RATP:InfoMessage::81234:LOC"]
    assert rer_a["message"].startswith("Crue de la Seine")  # the long French text, not the English one
    assert rer_a["short_message"] == "RER A : trafic interrompu"
    assert rer_a["line_refs"] == "STIF:Line::C01742:"
    assert rer_a["stop_refs"] == "STIF:StopPoint:Q:41178:,STIF:StopPoint:Q:41179:"
    assert rer_a["channel"] == "Perturbation" and rer_a["severity"] is None
    assert rer_a["valid_until"] == datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert rer_a["recorded_at"] == datetime(2026, 11, 28, 7, 45, tzinfo=UTC)
    works = data["SNCF:InfoMessage::7781:LOC"]  # bare values, a single LineRef and a single text object
    assert works["line_refs"] == "STIF:Line::C01727:" and works["channel"] == "Information"
    assert works["message"].startswith("Ligne C : travaux") and works["short_message"] is None
    assert works["valid_from"] == datetime(2026, 11, 28, 5, 0, tzinfo=UTC) and works["severity"] == "slight"
    assert data["RATP:InfoMessage::81240:LOC"]["message"] is None  # kept without text
    assert run.report["problem_count"] == 2
    assert any("pas d'InfoMessageIdentifier" in p for p in run.report["problems"])
    assert any("pas de texte de message" in p for p in run.report["problems"])
    assert len(run.payloads) == 1, "the raw answer is kept for replay"
    src.refresh_from_db()
    assert src.freshness == Freshness.FRESH


def test_one_request_per_line_and_a_message_about_two_lines_is_kept_once(server, make_source, key):
    server.route(
        "/general-message", "idfm/general_message_line_a.json", query={"LineRef": "STIF:Line::C01742:"}
    )
    server.route(
        "/general-message", "idfm/general_message_line_b.json", query={"LineRef": "STIF:Line::C01743:"}
    )
    run = run_source(
        make_source("idfm", name="rer", lines="C01742,IDFM:C01743", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    assert [q[2]["LineRef"] for q in server.requests] == ["STIF:Line::C01742:", "STIF:Line::C01743:"]
    data = rows("rer")
    assert [r["id"] for r in data] == ["RATP:InfoMessage::81234:LOC", "SNCF:InfoMessage::9001:LOC"]
    assert data[1]["line_refs"] == "STIF:Line::C01742:,STIF:Line::C01743:"
    assert data[1]["stop_refs"] == "STIF:StopArea:SP:43135:"


def test_empty_delivery_is_a_normal_run_that_clears_ended_disruptions(server, make_source, key):
    server.route("/general-message", "idfm/general_message.json", times=1)
    server.route("/general-message", "idfm/general_message_empty.json")
    src = make_source("idfm", name="perturbations", base_url=server.url)
    assert run_source(src, actor=SystemActor("poll_sources")).rows == 3
    run = run_source(src, actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.OK and run.rows == 0 and run.error == ""
    assert rows("perturbations") == [] and selectors.get_dataset("perturbations").row_count == 0


# --- stop-monitoring ----------------------------------------------------------------------------


def test_stop_monitoring_stores_next_departures(server, make_source, key):
    server.route(
        "/stop-monitoring",
        "idfm/stop_monitoring_41178.json",
        query={"MonitoringRef": "STIF:StopPoint:Q:41178:"},
    )
    server.route("/stop-monitoring", "idfm/stop_monitoring_unknown.json")
    src = make_source(
        "idfm",
        name="passages",
        mode="stop-monitoring",
        stops="41178,STIF:StopPoint:Q:99999999:",
        base_url=server.url,
    )
    run = run_source(src, actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.OK, run.error
    assert [q[2]["MonitoringRef"] for q in server.requests] == [
        "STIF:StopPoint:Q:41178:",
        "STIF:StopPoint:Q:99999999:",
    ]
    assert headers_of(server.requests[1])["apikey"] == "pr1m-t0ken"
    data = rows("passages")
    assert [(r["line_ref"], r["destination"]) for r in data] == [  # by expected departure
        ("STIF:Line::C01742:", "Marne-la-Vallée Chessy"),
        ("STIF:Line::C01258:", "La Défense"),
        ("STIF:Line::C01742:", "Boissy-Saint-Léger"),
    ]
    first, _, late = data
    assert first["vehicle_at_stop"] is True and first["aimed_departure"] is None  # "true" as a string
    assert first["stop_ref"] == "STIF:StopPoint:Q:41178:" and first["stop_name"] == "Rueil-Malmaison"
    assert late["direction"] == "BOISSY-SAINT-LEGER" and late["vehicle_at_stop"] is False
    assert late["aimed_departure"] == datetime(2026, 11, 28, 9, 21, tzinfo=UTC)
    assert late["expected_departure"] == datetime(2026, 11, 28, 9, 24, tzinfo=UTC)
    assert late["departure_status"] == "delayed"
    problems = run.report["problems"]
    assert run.report["problem_count"] == 2
    assert any("MonitoringRef ou LineRef manquant" in p for p in problems)
    assert any("STIF:StopPoint:Q:99999999: est inconnu" in p for p in problems)  # the other stop still counts
    assert any("1 passage(s) sans heure de départ" in n for n in run.report["notes"])


def test_stop_monitoring_keeps_only_the_configured_lines(server, make_source, key):
    server.route("/stop-monitoring", "idfm/stop_monitoring_41178.json")
    run = run_source(
        make_source(
            "idfm", name="p", mode="stop-monitoring", stops="41178", lines="C01258", base_url=server.url
        ),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.OK, run.error
    assert [r["line_ref"] for r in rows("p")] == ["STIF:Line::C01258:"]


def test_stop_monitoring_fails_when_every_stop_is_refused(server, make_source, key):
    server.route("/stop-monitoring", "idfm/stop_monitoring_unknown.json")
    run = run_source(
        make_source("idfm", name="p", mode="stop-monitoring", stops="99999999", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.FAILED
    assert run.error.startswith("IDFM PRIM stop-monitoring") and "est inconnu" in run.error


# --- errors -------------------------------------------------------------------------------------


def test_missing_key_makes_no_request_and_names_the_variable(server, make_source, settings):
    settings.SOURCE_API_KEYS = {}
    server.route("/general-message", "idfm/general_message.json")
    run = run_source(
        make_source("idfm", name="perturbations", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.FAILED
    assert "BEFFROI_PRIM_API_KEY" in run.error and "prim.iledefrance-mobilites.fr" in run.error
    assert server.requests == []


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_names_the_variable(server, make_source, key, status):
    server.route("/general-message", "idfm/error_401.json", status=status)
    run = run_source(
        make_source("idfm", name="perturbations", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.FAILED
    assert f"HTTP {status}" in run.error and "BEFFROI_PRIM_API_KEY" in run.error
    assert len(server.requests) == 1, "a refused key is not retried"


def test_quota_exceeded_says_so(server, make_source, key):
    server.route("/general-message", "idfm/error_429.json", status=429)
    run = run_source(
        make_source("idfm", name="perturbations", retries="2", base_url=server.url),
        actor=SystemActor("poll_sources"),
    )
    assert run.status == Run.Status.FAILED
    assert "quota PRIM dépassé (HTTP 429)" in run.error and "--period" in run.error
    assert run.error.startswith("IDFM PRIM general-message")


def test_malformed_json_is_a_clear_error_naming_the_source(server, make_source, key):
    server.route("/general-message", "idfm/malformed.json")
    run = run_source(
        make_source("idfm", name="perturbations", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.FAILED
    assert run.error.startswith("IDFM PRIM general-message :") and "pas du JSON valide" in run.error
    assert "Traceback" not in run.error and run.payloads, "the bad payload is kept for replay"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("unexpected.json", "pas de Siri.ServiceDelivery"),
        (
            '{"Siri": {"ServiceDelivery": {"GeneralMessageDelivery": "oops"}}}',
            "n'est pas une liste de livraisons",
        ),
        (
            '{"Siri": {"ServiceDelivery": {"GeneralMessageDelivery": [{"InfoMessage": 3}]}}}',
            "n'est pas une liste",
        ),
        ("[1, 2]", "pas de Siri.ServiceDelivery"),
    ],
)
def test_unexpected_shape_is_a_clear_error(server, make_source, key, body, expected):
    if body.endswith(".json"):
        server.route("/general-message", f"idfm/{body}")
    else:
        server.route("/general-message", body=body)
    run = run_source(
        make_source("idfm", name="perturbations", base_url=server.url), actor=SystemActor("poll_sources")
    )
    assert run.status == Run.Status.FAILED
    assert run.error.startswith("IDFM PRIM general-message") and expected in run.error


def test_http_error_fails_the_run_with_the_status(server, make_source, key):
    server.route("/general-message", body=b"<html>Bad Gateway</html>", status=502)
    src = make_source("idfm", name="perturbations", retries="2", base_url=server.url)
    run = run_source(src, actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.FAILED
    assert run.error.startswith("IDFM PRIM general-message : HTTP 502") and len(server.requests) == 2
    src.refresh_from_db()
    assert src.freshness == Freshness.FAILING and src.last_error == run.error


# --- configuration ------------------------------------------------------------------------------


def test_options_are_checked_when_the_source_is_added():
    with pytest.raises(UserError, match="doit être"):
        do_add_source("x", "idfm", config={"mode": "estimated-timetable"}, actor=SystemActor("cli"))
    with pytest.raises(UserError, match="demande des arrêts"):
        do_add_source("x", "idfm", config={"mode": "stop-monitoring"}, actor=SystemActor("cli"))
    src = do_add_source("x", "idfm", config={"LineRef": "STIF:Line::C01742:"}, actor=SystemActor("cli"))
    assert src.config == {"lines": "STIF:Line::C01742:", "mode": "general-message"}
    assert src.origin == "https://prim.iledefrance-mobilites.fr/marketplace"
    assert src.title.startswith("IDFM — perturbations")


def test_base_url_from_the_environment(server, make_source, key, settings):
    settings.SOURCE_URLS = {"idfm": server.url}
    server.route("/general-message", "idfm/general_message_empty.json")
    run = run_source(make_source("idfm", name="perturbations"), actor=SystemActor("poll_sources"))
    assert run.status == Run.Status.OK, run.error


def test_cli_adds_an_idfm_source(server, key, capsys):
    from beffroi.cli import main as beffroi

    server.route("/general-message", "idfm/general_message_line_a.json")
    args = ["sources", "add", "idfm", "--name", "rer-a", "-o", "mode=general-message", "-o", "lines=C01742"]
    assert beffroi([*args, "-o", f"base_url={server.url}"]) == 0
    assert beffroi(["sources", "add", "idfm", "--name", "bad", "-o", "mode=stop-monitoring"]) == 2
    assert beffroi(["sources", "run", "rer-a"]) == 0
    assert "rer-a: ok rows=2" in capsys.readouterr().out
