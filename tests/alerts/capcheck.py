"""One check for every CAP message the tests produce: the OASIS schema, then the aggregators'
profile rules (Google Public Alerts / WMO Alert Hub), as the project applies them."""

from __future__ import annotations

import re
from itertools import combinations

from lxml import etree
from shapely.geometry import Polygon

from beffroi.alerts import cap
from beffroi.alerts.area import in_france

NS = {"c": cap.NS}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
MARKUP = re.compile(r"</?[A-Za-z!][^>]*>|&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")


def _text(node, tag):
    found = node.find(f"c:{tag}", NS)
    return None if found is None else (found.text or "")


def check_cap(xml: bytes | str) -> etree._Element:
    """Raise AssertionError saying what is wrong; return the parsed message."""
    data = xml.encode() if isinstance(xml, str) else xml
    errors = cap.validate(data)
    assert not errors, f"CAP schema: {errors}"
    root = etree.fromstring(data)
    sender = _text(root, "sender")
    assert sender and not re.search(r"[\s,]", sender) and not sender.endswith(".invalid"), sender
    for tag in ("sent",):
        assert TIME.match(_text(root, tag) or ""), tag
    msg_type = _text(root, "msgType")
    if msg_type in ("Update", "Cancel"):
        refs = (_text(root, "references") or "").split()
        assert refs, "an Update or Cancel references the earlier messages"
        for ref in refs:
            ref_sender, identifier, sent = ref.split(",")
            assert ref_sender == sender and identifier != _text(root, "identifier") and TIME.match(sent)
    infos = root.findall("c:info", NS)
    assert infos, "at least one <info>"
    languages = [_text(i, "language") for i in infos]
    assert len(set(languages)) == len(languages), languages
    for info in infos:
        for tag in ("urgency", "severity", "certainty", "expires", "description", "web", "senderName"):
            assert (_text(info, tag) or "").strip(), f"<info> without <{tag}>"
        assert TIME.match(_text(info, "expires")) and TIME.match(
            _text(info, "onset") or _text(info, "expires")
        )
        assert len(_text(info, "headline") or "") <= 140
        assert not re.fullmatch(r"[\w ]*\d{5}", _text(info, "senderName")), "senderName names the commune"
        assert _text(info, "web").startswith(("http://", "https://"))
        for tag in ("headline", "description", "instruction", "contact", "senderName"):
            value = _text(info, tag)
            assert value is None or not MARKUP.search(value), f"markup in <{tag}>: {value!r}"
        areas = info.findall("c:area", NS)
        assert areas, "<info> without <area>"
        shapes = []
        for area in areas:
            assert (_text(area, "areaDesc") or "").strip()
            polygons = []
            for polygon in area.findall("c:polygon", NS):
                points = [tuple(map(float, p.split(","))) for p in polygon.text.split()]
                assert len(points) >= 4 and points[0] == points[-1], "closed polygon"
                assert len(points) - 1 <= 100
                assert all(in_france(lon, lat) for lat, lon in points), "polygon in France, lat,lon order"
                polygons.append(Polygon([(lon, lat) for lat, lon in points]))
            shapes.append(polygons)
        # Areas never overlap (shared borders are allowed).
        for one, other in combinations(shapes, 2):
            for a in one:
                for b in other:
                    overlap = a.buffer(0).intersection(b.buffer(0)).area
                    assert overlap <= 0.002 * min(a.area, b.area), f"areas overlap ({overlap})"
    return root
