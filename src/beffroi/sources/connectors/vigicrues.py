"""Vigicrues JSON-LD (services/1): flood vigilance level per territory and per river section.

``InfoVigiCru.jsonld?CdEntVigiCru=<code>&TypEntVigiCru=<5 territory|8 section>``. Levels arrive as
strings ("2"); 1 vert, 2 jaune, 3 orange, 4 rouge. A territory answer lists its sections in
``vic:estLaSyntheseDe``; a section answer may omit ``vic:porteSurLEntite`` (the requested code is used).
"""

from __future__ import annotations

from beffroi.core.errors import Problem, UserError
from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError, RowProblem
from beffroi.sources.connectors.values import (
    as_code,
    as_datetime,
    as_int,
    as_text,
    geometry_of,
    obj,
    objects,
    type_name,
)

COLOURS = {1: "vert", 2: "jaune", 3: "orange", 4: "rouge"}


class Vigicrues(Connector):
    kind = "vigicrues"
    title = "Vigicrues — vigilance crues"
    default_base_url = "https://www.vigicrues.gouv.fr/services/1"
    default_period = 900
    live = True
    licence = "Licence Ouverte / Etalab 2.0 — © VIGICRUES"
    options = {
        "territories": "territory (SPC) codes, comma-separated (TypEntVigiCru=5), e.g. 7",
        "sections": "river section codes, comma-separated (TypEntVigiCru=8), e.g. IF5,IF17",
    }

    @classmethod
    def validate_config(cls, config):
        clean = super().validate_config(config)
        if not clean.get("territories") and not clean.get("sections"):
            raise UserError(
                "A vigicrues source needs territories or sections.", [Problem("required", field="sections")]
            )
        return clean

    def fetch(self):
        pages = []
        for typ, option in (("5", "territories"), ("8", "sections")):
            for code in self.list_option(option):
                pages.append(
                    self.get(
                        f"{self.base_url}/InfoVigiCru.jsonld",
                        params={"CdEntVigiCru": code, "TypEntVigiCru": typ},
                    )
                )
        return pages

    def parse(self, payloads):
        parsed = Parsed()
        records = []
        for page in payloads:
            body = self.json_of(page)
            info = body.get("vic:InfoVigiCru") if isinstance(body, dict) else None
            if not isinstance(info, dict):
                raise PayloadError(f"{page.url}: no vic:InfoVigiCru in the answer")
            requested = _param(page.url, "CdEntVigiCru")
            at = as_datetime(info.get("vic:DtHrInfoVigiCru"))
            entity = obj(info.get("vic:porteSurLEntite"))
            entries: list[tuple[str | None, str | None, object, str]] = [
                (
                    as_code(entity.get("vic:CdEntVigiCru")) or requested,
                    as_code(entity.get("vic:TypEntVigiCru")) or _param(page.url, "TypEntVigiCru"),
                    info.get("vic:NivInfoVigiCru"),
                    as_text(entity.get("vic:LbEntVigiCru")),
                )
            ]
            for sub in objects(info.get("vic:estLaSyntheseDe"), f"{page.url} vic:estLaSyntheseDe", parsed):
                ent = obj(sub.get("vic:porteSurLEntite"))
                entries.append(
                    (
                        as_code(ent.get("vic:CdEntVigiCru")),
                        as_code(ent.get("vic:TypEntVigiCru")),
                        sub.get("vic:NivInfoVigiCru"),
                        as_text(ent.get("vic:LbEntVigiCru")),
                    )
                )
            if at is None:
                parsed.problems.append(
                    RowProblem(page.url, f"no valid date ({info.get('vic:DtHrInfoVigiCru')!r})")
                )
                continue
            for code, typ, level_text, label in entries:
                level = as_int(level_text)
                if level is None:
                    parsed.problems.append(
                        RowProblem(f"{page.url} {code}", f"level {level_text!r} is not a number")
                    )
                    continue
                if level not in COLOURS or not code:
                    parsed.problems.append(RowProblem(f"{page.url} {code}", f"level {level} outside 1-4"))
                    continue
                parsed.points.append(
                    {
                        "series": f"vigicrues:{code}:level",
                        "at": at,
                        "value": float(level),
                        "unit": "niveau",
                        "kind": "observation",
                    }
                )
                records.append(
                    {
                        "code": code,
                        "type": str(typ or ""),
                        "label": label,
                        "level": level,
                        "colour": COLOURS[level],
                        "at": at,
                        "reference": as_text(info.get("vic:RefInfoVigiCru")),
                        "situation": as_text(info.get("vic:SituActuInfoVigiCru"))
                        if code == entries[0][0]
                        else "",
                    }
                )
        if records:
            from beffroi.sources.connectors.values import records_table

            parsed.table = records_table(records)
        return parsed


def _param(url: str, name: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return (parse_qs(urlsplit(url).query).get(name) or [""])[0]


class VigicruesSections(Connector):
    """The GeoJSON of river sections with their vigilance level (``InfoVigiCru.geojson``): a map
    layer. Quirk: ``NivInfViCr`` arrives as a number or as a string ("3")."""

    kind = "vigicrues-sections"
    title = "Vigicrues — tronçons et niveaux de vigilance (carte)"
    default_base_url = "https://www.vigicrues.gouv.fr/services"
    default_period = 1800
    live = True
    licence = "Licence Ouverte / Etalab 2.0 — © VIGICRUES"
    options = {"sections": "keep only these section codes (comma-separated); all by default"}

    def fetch(self):
        return [self.get(f"{self.base_url}/InfoVigiCru.geojson")]

    def parse(self, payloads):
        import pyarrow as pa
        import shapely

        from beffroi.sources.connectors.values import records_table

        parsed = Parsed()
        body = self.json_of(payloads[0])
        features = body.get("features") if isinstance(body, dict) else None
        if not isinstance(features, list):
            raise PayloadError(f"{payloads[0].url}: no GeoJSON features in the answer")
        at = as_datetime(body.get("DtHrInfoVigiCru"))
        wanted = set(self.list_option("sections"))
        records, geometries = [], []
        for n, feature in enumerate(features, start=1):
            if not isinstance(feature, dict):
                parsed.problems.append(
                    RowProblem(f"feature {n}", f"expected an object, got {type_name(feature)}")
                )
                continue
            p = obj(feature.get("properties"))
            code = as_code(p.get("CdEntCru")) or ""
            if wanted and code not in wanted:
                continue
            level = as_int(p.get("NivInfViCr"))
            geom = geometry_of(feature.get("geometry"))
            if level is None or geom is None:
                parsed.problems.append(
                    RowProblem(
                        f"feature {n} {code}",
                        f"unreadable level ({p.get('NivInfViCr')!r}) or geometry",
                    )
                )
                continue
            if level not in COLOURS or not code:
                parsed.problems.append(RowProblem(f"feature {n} {code}", f"level {level} outside 1-4"))
                continue
            records.append(
                {
                    "code": code,
                    "label": as_text(p.get("lbentcru")),
                    "territory": as_text(p.get("cdensup_1")),
                    "level": level,
                    "colour": COLOURS[level],
                }
            )
            geometries.append(shapely.to_wkb(geom))
            if at is not None:
                parsed.points.append(
                    {
                        "series": f"vigicrues:{code}:level",
                        "at": at,
                        "value": float(level),
                        "unit": "niveau",
                        "kind": "observation",
                    }
                )
        if records:
            parsed.table = records_table(records).append_column("geometry", pa.array(geometries, pa.binary()))
            parsed.geometry_column = "geometry"
        return parsed
