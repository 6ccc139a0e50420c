"""RFC 3161 timestamps of chain heads, against a TSA on 127.0.0.1 answering responses built here."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asn1crypto import algos, cms, core, tsp

from beffroi.crisis.actions import do_open_crisis
from beffroi.crisis.anchoring import anchor_head, timestamp_anchor
from beffroi.crisis.timestamp import TimestampError, imprint, parse_response


def _response(request_der: bytes, *, imprint_override: bytes | None = None, status: str = "granted") -> bytes:
    """A TimeStampResp for the request, as a TSA builds it (unsigned: the test TSA has no key)."""
    request = tsp.TimeStampReq.load(request_der)
    if status != "granted":
        info = tsp.PKIStatusInfo({"status": status, "status_string": ["bad request"]}).dump()
        return b"\x30" + bytes([len(info)]) + info  # SEQUENCE { status } with no token, as RFC 3161 allows
    info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.3.4",
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "hashed_message": imprint_override or request["message_imprint"]["hashed_message"].native,
                }
            ),
            "serial_number": 42,
            "gen_time": datetime(2026, 12, 1, 21, 0, tzinfo=UTC),
            "nonce": request["nonce"].native,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(info.dump()),
            },
            "signer_infos": [],
        }
    )
    token = cms.ContentInfo({"content_type": "signed_data", "content": signed})
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


@pytest.fixture
def tsa():
    behaviour = {"mode": "ok", "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            behaviour["requests"].append((self.headers["Content-Type"], body))
            if behaviour["mode"] == "wrong":
                answer = _response(body, imprint_override=b"\0" * 32)
            elif behaviour["mode"] == "rejection":
                answer = _response(body, status="rejection")
            else:
                answer = _response(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    behaviour["url"] = f"http://127.0.0.1:{server.server_port}/tsa"
    yield behaviour
    server.shutdown()
    server.server_close()


@pytest.fixture
def crisis(make_user):
    mayor = make_user("maire", ["94052"])
    return do_open_crisis(
        hazard="inondation", communes=["94052"], level=3, exercise=False, title="Crue", actor=mayor
    )


def test_a_handover_head_gets_a_timestamp_token(crisis, tsa, settings, django_capture_on_commit_callbacks):
    from beffroi.core.actors import SystemActor

    settings.SOURCES_ALLOW_HOSTS = ["127.0.0.1"]  # the SSRF guard lets the local TSA through
    settings.CRISIS_TSA_URL = tsa["url"]
    with django_capture_on_commit_callbacks(execute=True):
        anchor = anchor_head(crisis, reason="demande", actor=SystemActor("cli"))
    anchor.refresh_from_db()
    content_type, body = tsa["requests"][0]
    assert content_type == "application/timestamp-query"
    sent = tsp.TimeStampReq.load(body)
    assert sent["message_imprint"]["hashed_message"].native == imprint(anchor.value)
    assert anchor.tsa_token and anchor.tsa_error == ""
    token = cms.ContentInfo.load(bytes(anchor.tsa_token))
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == imprint(anchor.value)


@pytest.mark.parametrize("mode, reason", [("wrong", "another imprint"), ("rejection", "rejection")])
def test_a_bad_tsa_answer_is_stored_as_an_error_not_a_token(crisis, tsa, settings, mode, reason):
    from beffroi.core.actors import SystemActor

    settings.SOURCES_ALLOW_HOSTS = ["127.0.0.1"]
    tsa["mode"] = mode
    anchor = anchor_head(crisis, reason="demande", actor=SystemActor("cli"))
    anchor = timestamp_anchor(anchor, tsa["url"])
    assert anchor.tsa_token is None and reason in anchor.tsa_error


def test_the_ssrf_guard_applies_to_the_tsa(crisis, tsa, settings):
    from beffroi.core.actors import SystemActor

    settings.SOURCES_ALLOW_HOSTS = []
    anchor = timestamp_anchor(anchor_head(crisis, reason="demande", actor=SystemActor("cli")), tsa["url"])
    assert tsa["requests"] == [] and anchor.tsa_token is None and anchor.tsa_error


def test_garbage_is_not_a_token():
    with pytest.raises(TimestampError):
        parse_response(b"not der", b"\0" * 32, 1)
