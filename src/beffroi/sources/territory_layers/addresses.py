"""Address points from the Base Adresse Nationale CSV per département (``adresses-<dep>.csv[.gz]``).

Output: ``id, numero, rep, nom_voie, code_postal, code_insee, commune_code, nom_commune, label,
lon, lat, geometry`` — the columns the local geocoder (``sources/geocoding.py``), the registry's
address check and crossing's addresses layer read.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import shapely
from django.utils.translation import gettext as _

from beffroi.sources.territory_layers.files import RawFile, csv_rows, error, header_index, number

NAME = "addresses"
TITLE = "Adresses (Base Adresse Nationale)"
REQUIRED = ["id", "numero", "nom_voie", "code_insee", "lon", "lat"]
OPTIONAL = ("rep", "code_postal", "nom_commune")


def read(raw: RawFile, communes: set[str]) -> dict[str, list]:
    label = raw.name
    rows = csv_rows(raw.path, label=label)
    first = next(rows, None)
    if first is None:
        raise error(label, _("le fichier est vide"), line=1)
    header = first[1]
    idx = header_index(header, REQUIRED, label=label, optional=OPTIONAL)
    out: dict[str, list] = {
        k: []
        for k in ("id", "numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune", "lon", "lat")
    }
    width = max(idx.values()) + 1
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < width:
            raise error(
                label, _("%(n)d colonnes au lieu de %(m)d") % {"n": len(cells), "m": len(header)}, line=line
            )
        code = cells[idx["code_insee"]].strip()
        if code not in communes:
            continue
        raw_number = cells[idx["numero"]].strip()
        if not raw_number.isdigit():
            raise error(
                label,
                _("numéro entier attendu, lu %(value)r") % {"value": raw_number},
                line=line,
                column="numero",
            )
        lon = number(cells[idx["lon"]], label=label, line=line, column="lon")
        lat = number(cells[idx["lat"]], label=label, line=line, column="lat")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise error(label, _("coordonnées hors des bornes longitude/latitude"), line=line, column="lon")
        out["id"].append(cells[idx["id"]].strip())
        out["numero"].append(int(raw_number))
        out["rep"].append(cells[idx["rep"]].strip() if "rep" in idx else "")
        out["nom_voie"].append(cells[idx["nom_voie"]].strip())
        out["code_postal"].append(cells[idx["code_postal"]].strip() if "code_postal" in idx else "")
        out["code_insee"].append(code)
        out["nom_commune"].append(cells[idx["nom_commune"]].strip() if "nom_commune" in idx else "")
        out["lon"].append(lon)
        out["lat"].append(lat)
    return out


def build(files: list[RawFile], communes: list[str]) -> pa.Table:
    wanted = set(communes)
    merged: dict[str, list] = {}
    for raw in files:
        for k, v in read(raw, wanted).items():
            merged.setdefault(k, []).extend(v)
    found = set(merged.get("code_insee", []))
    missing = sorted(wanted - found)
    if missing:
        raise error(
            ", ".join(f.name for f in files),
            _("aucune adresse pour la ou les communes %(codes)s") % {"codes": ", ".join(missing)},
            column="code_insee",
        )
    labels = [
        " ".join(p for p in (f"{n}{(' ' + r) if r else ''}", v, f"{cp} {c}".strip()) if p)
        for n, r, v, cp, c in zip(
            merged["numero"],
            merged["rep"],
            merged["nom_voie"],
            merged["code_postal"],
            merged["nom_commune"],
            strict=True,
        )
    ]
    points = shapely.points(np.column_stack([merged["lon"], merged["lat"]]))
    table = pa.table(
        {
            "id": pa.array(merged["id"], pa.string()),
            "numero": pa.array(merged["numero"], pa.int32()),
            "rep": pa.array(merged["rep"], pa.string()),
            "nom_voie": pa.array(merged["nom_voie"], pa.string()),
            "code_postal": pa.array(merged["code_postal"], pa.string()),
            "code_insee": pa.array(merged["code_insee"], pa.string()),
            "commune_code": pa.array(merged["code_insee"], pa.string()),
            "nom_commune": pa.array(merged["nom_commune"], pa.string()),
            "label": pa.array(labels, pa.string()),
            "lon": pa.array(merged["lon"], pa.float64()),
            "lat": pa.array(merged["lat"], pa.float64()),
            "geometry": pa.array(shapely.to_wkb(points).tolist(), pa.binary()),
        }
    )
    return table.sort_by([("code_insee", "ascending"), ("nom_voie", "ascending"), ("numero", "ascending")])
