"""Sensitive facilities: schools and crèches from the BPE, hospitals, dialysis, home hospitalisation
(HAD) and EHPAD from FINESS (codes in ``codes.py``).

Output: ``id, commune_code, type, type_label, code, code_label, name, capacity, source, lon, lat,
geometry`` (points, EPSG:4326). Neither file carries a capacity (FINESS keeps capacities in its
separate « équipements » extraction), so ``capacity`` is null unless a BPE vintage has a
``CAPACITE`` column.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import shapely
from django.utils.translation import gettext as _

from beffroi.sources.territory_layers import codes
from beffroi.sources.territory_layers.files import RawFile, csv_rows, department, error, header_index, number

NAME = "facilities"
TITLE = "Équipements sensibles : écoles, crèches, EHPAD, hôpitaux, dialyse, HAD (BPE, FINESS)"
FIELDS = (
    "id",
    "commune_code",
    "type",
    "type_label",
    "code",
    "code_label",
    "name",
    "capacity",
    "source",
    "x",
    "y",
    "epsg",
)


def _transform(xs: list[float], ys: list[float], epsgs: list[int]) -> tuple[list[float], list[float]]:
    from pyproj import Transformer

    lon, lat = list(xs), list(ys)
    for epsg in set(epsgs):
        if epsg == 4326:
            continue
        t = Transformer.from_crs(epsg, 4326, always_xy=True)
        sel = [i for i, e in enumerate(epsgs) if e == epsg]
        a, b = t.transform([xs[i] for i in sel], [ys[i] for i in sel])
        for k, i in enumerate(sel):
            lon[i], lat[i] = float(a[k]), float(b[k])
    return lon, lat


def read_bpe(raw: RawFile, communes: set[str]) -> tuple[dict[str, list], int]:
    """Rows of the BPE for ``communes`` with a kept ``TYPEQU``; returns (rows, rows without coordinates)."""
    label = raw.name
    rows = csv_rows(raw.path, label=label)
    first = next(rows, None)
    if first is None:
        raise error(label, _("le fichier est vide"), line=1)
    header = first[1]
    idx = header_index(
        header,
        ["DEPCOM", "TYPEQU"],
        label=label,
        optional=("LAMBERT_X", "LAMBERT_Y", "LONGITUDE", "LATITUDE", "NOMRS", "CAPACITE", "DEP"),
    )
    if not ({"LAMBERT_X", "LAMBERT_Y"} <= idx.keys() or {"LONGITUDE", "LATITUDE"} <= idx.keys()):
        raise error(
            label,
            _("colonnes de coordonnées absentes (LAMBERT_X/LAMBERT_Y ou LONGITUDE/LATITUDE)"),
            line=1,
            column="LAMBERT_X",
        )
    out: dict[str, list] = {k: [] for k in FIELDS}
    unplaced = 0
    counter: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise error(
                label, _("%(n)d colonnes au lieu de %(m)d") % {"n": len(cells), "m": len(header)}, line=line
            )
        commune = cells[idx["DEPCOM"]].strip()
        typequ = cells[idx["TYPEQU"]].strip().upper()
        if commune not in communes or typequ not in codes.BPE:
            continue
        if "LONGITUDE" in idx and cells[idx["LONGITUDE"]].strip():
            x = number(cells[idx["LONGITUDE"]], label=label, line=line, column="LONGITUDE")
            y = number(cells[idx["LATITUDE"]], label=label, line=line, column="LATITUDE")
            epsg = 4326
        elif "LAMBERT_X" in idx and cells[idx["LAMBERT_X"]].strip():
            x = number(cells[idx["LAMBERT_X"]], label=label, line=line, column="LAMBERT_X")
            y = number(cells[idx["LAMBERT_Y"]], label=label, line=line, column="LAMBERT_Y")
            epsg = codes.BPE_EPSG_OVERSEAS.get(department(commune), 2154)
        else:
            unplaced += 1  # the BPE lists equipment it could not geolocate: counted, not placed
            continue
        kind, code_label = codes.BPE[typequ]
        n = counter[(commune, typequ)] = counter.get((commune, typequ), 0) + 1
        name = cells[idx["NOMRS"]].strip() if "NOMRS" in idx else ""
        capacity = None
        if "CAPACITE" in idx and cells[idx["CAPACITE"]].strip():
            capacity = int(number(cells[idx["CAPACITE"]], label=label, line=line, column="CAPACITE"))
        for k, v in (
            ("id", f"bpe-{commune}-{typequ}-{n}"),
            ("commune_code", commune),
            ("type", kind),
            ("type_label", codes.TYPES[kind]),
            ("code", typequ),
            ("code_label", code_label),
            ("name", name or f"{code_label} n°{n} ({commune})"),
            ("capacity", capacity),
            ("source", "BPE"),
            ("x", x),
            ("y", y),
            ("epsg", epsg),
        ):
            out[k].append(v)
    return out, unplaced


STRUCTURE_FIELDS = 32  # « structureet » lines of the Etalab extraction (header in docs/crossing.md)


def read_finess(raw: RawFile, communes: set[str]) -> tuple[dict[str, list], int]:
    """Kept établissements of ``communes`` placed by their « geolocalisation » line."""
    label = raw.name
    rows = csv_rows(raw.path, label=label, header=False)
    places: dict[str, tuple[float, float, int, int]] = {}
    kept: list[tuple[int, list[str]]] = []
    for line, cells in rows:
        if line == 1 or not cells or not any(c.strip() for c in cells):
            continue  # the first line describes the extraction, not an establishment
        kind = cells[0].strip().lower()
        if kind == "structureet":
            if len(cells) < STRUCTURE_FIELDS:
                raise error(
                    label,
                    _("ligne structureet de %(n)d champs au lieu de %(m)d")
                    % {"n": len(cells), "m": STRUCTURE_FIELDS},
                    line=line,
                )
            commune = cells[13].strip().upper() + cells[12].strip()
            if commune in communes and cells[18].strip() in codes.FINESS:
                kept.append((line, cells))
        elif kind == "geolocalisation":
            if len(cells) < 5:
                raise error(label, _("ligne geolocalisation incomplète"), line=line)
            if not cells[2].strip():
                continue
            x = number(cells[2], label=label, line=line, column="coordxet")
            y = number(cells[3], label=label, line=line, column="coordyet")
            projection = cells[4].strip().rsplit(",", 1)[-1].upper()
            places[cells[1].strip()] = (x, y, codes.FINESS_EPSG.get(projection, 2154), line)
        else:
            raise error(
                label,
                _("type de ligne inconnu %(value)r (structureet ou geolocalisation attendu)")
                % {"value": cells[0][:30]},
                line=line,
                column="1",
            )
    out: dict[str, list] = {k: [] for k in FIELDS}
    unplaced = 0
    for _line, cells in kept:
        nofinesset = cells[1].strip()
        if nofinesset not in places:
            unplaced += 1
            continue
        x, y, epsg, _geo_line = places[nofinesset]
        category = cells[18].strip()
        kind, code_label = codes.FINESS[category]
        name = cells[4].strip() or cells[3].strip()
        for k, v in (
            ("id", f"finess-{nofinesset}"),
            ("commune_code", cells[13].strip().upper() + cells[12].strip()),
            ("type", kind),
            ("type_label", codes.TYPES[kind]),
            ("code", category),
            ("code_label", cells[19].strip() or code_label),
            ("name", name),
            ("capacity", None),
            ("source", "FINESS"),
            ("x", x),
            ("y", y),
            ("epsg", epsg),
        ):
            out[k].append(v)
    return out, unplaced


def build(bpe: RawFile, finess: RawFile, communes: list[str]) -> tuple[pa.Table, list[str]]:
    wanted = set(communes)
    a, unplaced_bpe = read_bpe(bpe, wanted)
    b, unplaced_finess = read_finess(finess, wanted)
    rows = {k: a[k] + b[k] for k in FIELDS}
    lon, lat = _transform(rows["x"], rows["y"], rows["epsg"])
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise error(
                bpe.name if i < len(a["id"]) else finess.name,
                _("coordonnées hors des bornes après reprojection"),
                column="x",
            )
    points = shapely.points(np.column_stack([lon, lat])) if lon else np.array([], dtype=object)
    table = pa.table(
        {
            **{
                k: pa.array(rows[k], pa.string())
                for k in ("id", "commune_code", "type", "type_label", "code", "code_label", "name")
            },
            "capacity": pa.array(rows["capacity"], pa.int32()),
            "source": pa.array(rows["source"], pa.string()),
            "lon": pa.array(lon, pa.float64()),
            "lat": pa.array(lat, pa.float64()),
            "geometry": pa.array(shapely.to_wkb(points).tolist() if lon else [], pa.binary()),
        }
    )
    notes = []
    if unplaced_bpe:
        notes.append(f"BPE : {unplaced_bpe} équipement(s) non géolocalisé(s) écarté(s)")
    if unplaced_finess:
        notes.append(f"FINESS : {unplaced_finess} établissement(s) sans géolocalisation écarté(s)")
    return table.sort_by([("commune_code", "ascending"), ("type", "ascending"), ("id", "ascending")]), notes
