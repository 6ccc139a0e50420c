"""Read a GDAL vector file in a child process, so a crash in GDAL on a hostile file cannot take
the web or worker process down. Usage: python -m beffroi.sources.imports.gdal_child SOURCE OUT.parquet

Prints one JSON line: {"layer", "epsg", "geometry_column"} or {"error": message}.
"""

from __future__ import annotations

import json
import sys

# Only the marker: the child has no Django settings; the parent translates the message it prints.
from django.utils.translation import gettext_noop


def main(source: str, out: str) -> int:
    from beffroi.sources.imports.duck import connect, literal

    con = connect(spatial=True)
    try:
        meta = con.execute(f"SELECT layers FROM ST_Read_Meta({literal(source)})").fetchone()  # noqa: S608
        layers = meta[0] if meta else []
        if not layers:
            print(json.dumps({"error": gettext_noop("aucune couche vectorielle trouvée")}))
            return 0
        layer = layers[0]
        fields = layer.get("geometry_fields") or []
        epsg = None
        if fields and fields[0].get("crs"):
            code = fields[0]["crs"].get("auth_code")
            epsg = int(code) if code and str(code).isdigit() else None
        con.execute(
            f"COPY (SELECT * FROM ST_Read({literal(source)}, layer={literal(layer['name'])}, keep_wkb=true)) "  # noqa: S608
            f"TO {literal(out)} (FORMAT PARQUET)"
        )
        gcol = fields[0]["name"] if fields else None
        print(json.dumps({"layer": layer["name"], "epsg": epsg, "geometry_column": gcol}))
    except Exception as exc:  # GDAL errors surface as duckdb IOException and friends
        print(json.dumps({"error": str(exc).splitlines()[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
