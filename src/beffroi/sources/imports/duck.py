"""A DuckDB connection for imports (in memory, bounded threads), with the spatial extension on demand."""

from __future__ import annotations

from pathlib import Path

import duckdb


def connect(spatial: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": 2, "preserve_insertion_order": True})
    if spatial:
        load_spatial(con)
    return con


def load_spatial(con) -> None:
    import duckdb_extension_spatial

    base = Path(duckdb_extension_spatial.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    con.execute(f"LOAD '{base / 'spatial.duckdb_extension'}'")


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
