"""Residents by IRIS and age band: INSEE's « population par IRIS » base joined to IGN's IRIS contours.

Output (what crossing's residents layer reads, docs/crossing.md): one row per IRIS with
``iris_code``, ``iris_name``, ``commune_code``, ``iris_type``, ``pop_00_14 … pop_75_plus``,
``pop_total`` (INSEE's weighted counts, kept as floats so that they sum to the commune's population)
and ``geometry`` (WKB, EPSG:4326, reprojected from Lambert-93).

A commune not split into IRIS has one IRIS, ``<commune>0000``; when the contours file lacks it, the
commune's boundary from the territory app stands for it (and the provenance says so).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape

from beffroi.core.errors import Problem, UserError
from beffroi.sources.territory_layers.files import RawFile, csv_rows, error, header_index, number
from beffroi.territory.selectors import communes

NAME = "iris-population"
TITLE = "Population par IRIS et tranche d'âge (INSEE, contours IGN)"
# INSEE's age-band suffixes -> the column names crossing expects.
BANDS = {
    "POP0014": "pop_00_14",
    "POP1529": "pop_15_29",
    "POP3044": "pop_30_44",
    "POP4559": "pop_45_59",
    "POP6074": "pop_60_74",
    "POP75P": "pop_75_plus",
}
IRIS_RE = re.compile(r"^\d[\dAB]\d{7}$")
YEAR_RE = re.compile(r"^P(\d\d)_POP$", re.IGNORECASE)


def read_population(raw: RawFile, communes: set[str]) -> tuple[str, list[dict]]:
    """(census year, one dict per IRIS of ``communes``) from the INSEE CSV."""
    label = raw.name
    rows = csv_rows(raw.path, label=label)
    first = next(rows, None)
    if first is None:
        raise error(label, _("le fichier est vide"), line=1)
    header = first[1]
    years = [m.group(1) for h in header if (m := YEAR_RE.match(h.strip().lstrip("\ufeff")))]
    if not years:
        raise error(
            label,
            _("colonne PAA_POP (population totale, ex. P21_POP) absente de l'en-tête"),
            line=1,
            column="P21_POP",
        )
    yy = years[0]
    columns = [f"P{yy}_POP"] + [f"P{yy}_{suffix}" for suffix in BANDS]
    idx = header_index(
        header, ["IRIS", *columns], label=label, optional=("COM", "TYP_IRIS", "LIBIRIS", "LAB_IRIS")
    )
    out = []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise error(
                label, _("%(n)d colonnes au lieu de %(m)d") % {"n": len(cells), "m": len(header)}, line=line
            )
        code = cells[idx["IRIS"]].strip()
        if not IRIS_RE.match(code):
            raise error(
                label,
                _("code IRIS invalide %(value)r (9 caractères attendus)") % {"value": code},
                line=line,
                column="IRIS",
            )
        commune = cells[idx["COM"]].strip() if "COM" in idx else code[:5]
        if commune not in communes:
            continue
        if not code.startswith(commune):
            raise error(
                label,
                _("l'IRIS %(iris)s n'appartient pas à la commune %(com)s") % {"iris": code, "com": commune},
                line=line,
                column="COM",
            )
        total = number(cells[idx[f"P{yy}_POP"]], label=label, line=line, column=f"P{yy}_POP")
        record = {"iris_code": code, "commune_code": commune, "line": line, "pop_total": total}
        record["iris_name"] = cells[idx["LIBIRIS"]].strip() if "LIBIRIS" in idx else ""
        record["iris_type"] = cells[idx["TYP_IRIS"]].strip() if "TYP_IRIS" in idx else ""
        bands = 0.0
        for suffix, target in BANDS.items():
            col = f"P{yy}_{suffix}"
            value = number(cells[idx[col]], label=label, line=line, column=col)
            if value < 0:
                raise error(label, _("population négative"), line=line, column=col)
            record[target] = value
            bands += value
        # The six bands cover every age: a mismatch means shifted or mislabelled columns.
        if abs(bands - total) > max(1.0, total * 0.001):
            raise error(
                label,
                _("la somme des tranches d'âge (%(bands).1f) diffère de la population totale (%(total).1f)")
                % {"bands": bands, "total": total},
                line=line,
                column=f"P{yy}_POP",
            )
        out.append(record)
    missing = sorted(communes - {r["commune_code"] for r in out})
    if missing:
        raise UserError(
            _("%(file)s : aucun IRIS pour la ou les communes %(codes)s ; rien n'a été enregistré.")
            % {"file": label, "codes": ", ".join(missing)},
            [Problem(_("commune absente du fichier"), file=label, field="COM")],
        )
    return f"20{yy}", out


def read_contours(raw: RawFile, communes: set[str]) -> dict[str, tuple[bytes, str]]:
    """code IRIS -> (WKB in EPSG:4326, IRIS name), for the IRIS of ``communes``."""
    from beffroi.sources.imports import stage_file

    staged = stage_file(raw.path, label=raw.name)
    try:
        table = pq.read_table(staged.path)
    finally:
        staged.discard()
    names = {c.lower(): c for c in table.column_names}
    code_col = names.get("code_iris") or names.get("dcomiris")
    if code_col is None:
        raise error(raw.name, _("colonne code_iris (ou CODE_IRIS) absente"), column="code_iris")
    name_col = names.get("nom_iris")
    codes = [str(v or "").strip() for v in table[code_col].to_pylist()]
    geoms = table["geometry"].to_pylist()
    labels = table[name_col].to_pylist() if name_col else [""] * len(codes)
    out: dict[str, tuple[bytes, str]] = {}
    for n, (code, geom, name) in enumerate(zip(codes, geoms, labels, strict=True), start=1):
        if code[:5] not in communes:
            continue
        if geom is None:
            raise error(
                raw.name,
                _("l'IRIS %(iris)s n'a pas de géométrie") % {"iris": code},
                line=n,
                column="geometry",
            )
        if code in out:
            # Some editions cut one IRIS in several features: merge them.
            merged = shapely.union_all([shapely.from_wkb(out[code][0]), shapely.from_wkb(geom)])
            out[code] = (shapely.to_wkb(merged), out[code][1])
        else:
            out[code] = (geom, str(name or ""))
    return out


def commune_boundaries(codes: list[str]) -> dict[str, bytes]:
    out = {}
    for c in communes():
        if c.code in codes and c.boundary:
            out[c.code] = shapely.to_wkb(shape(c.boundary))
    return out


def build(population: RawFile, contours: RawFile, communes: list[str]) -> tuple[pa.Table, list[str]]:
    wanted = set(communes)
    year, records = read_population(population, wanted)
    shapes = read_contours(contours, wanted)
    notes = [f"recensement {year}"]
    fallback_needed = [
        r["commune_code"] for r in records if r["iris_code"] not in shapes and r["iris_code"].endswith("0000")
    ]
    fallback = commune_boundaries(fallback_needed) if fallback_needed else {}
    problems = []
    geometries, iris_names = [], []
    for r in records:
        code = r["iris_code"]
        if code in shapes:
            wkb, name = shapes[code]
        elif code.endswith("0000") and r["commune_code"] in fallback:
            wkb, name = fallback[r["commune_code"]], ""
            notes.append(f"{code}: commune non découpée, contour de la commune utilisé")
        else:
            problems.append(
                Problem(
                    _("l'IRIS %(iris)s est absent des contours %(contours)s")
                    % {"iris": code, "contours": contours.name},
                    file=population.name,
                    line=r["line"],
                    field="IRIS",
                )
            )
            continue
        geometries.append(wkb)
        iris_names.append(r["iris_name"] or name)
    if problems:
        raise UserError(
            _("%(file)s : %(n)d IRIS sans contour ; rien n'a été enregistré.")
            % {"file": population.name, "n": len(problems)},
            problems[: UserError.MAX_SHOWN],
            total=len(problems),
        )
    columns: dict[str, pa.Array] = {
        "iris_code": pa.array([r["iris_code"] for r in records], pa.string()),
        "iris_name": pa.array(iris_names, pa.string()),
        "commune_code": pa.array([r["commune_code"] for r in records], pa.string()),
        "iris_type": pa.array([r["iris_type"] for r in records], pa.string()),
    }
    for target in (*BANDS.values(), "pop_total"):
        columns[target] = pa.array([r[target] for r in records], pa.float64())
    columns["geometry"] = pa.array(geometries, pa.binary())
    order = sorted(range(len(records)), key=lambda i: records[i]["iris_code"])
    return pa.table(columns).take(order), notes


def population_vintage(path: Path) -> str:
    m = re.search(r"pop-(\d{4})", path.name)
    return m.group(1) if m else ""
