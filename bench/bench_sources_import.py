"""Import benchmark: a French-style CSV (``;``, Latin-1, decimal comma, dd/mm/yyyy dates) imported by
the code behind ``beffroi sources import`` (detection, transcoding, validation, typing, Parquet,
catalogue) against DuckDB's own ``read_csv`` of the same file into Parquet (told the dialect).

Default 200,000 rows so it runs in well under two minutes on two cores; ``BENCH_ROWS=1000000`` for the
full size the issue names.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from pathlib import Path

from bench.common import timer, write_result

ROWS = int(os.environ.get("BENCH_ROWS", "200000"))
COMMUNES = [
    ("92063", "Rueil-Malmaison"),
    ("92033", "Garches"),
    ("94052", "Nogent-sur-Marne"),
    ("78123", "Carrières-sous-Poissy"),
    ("94071", "Sucy-en-Brie"),
]
VOIES = [
    "rue de l'Église",
    "avenue Napoléon Bonaparte",
    "quai de la Marne",
    "boulevard du Maréchal Foch",
    "allée des Châtaigniers",
]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(42)
    with open(path, "w", encoding="latin-1", newline="") as fh:
        fh.write("id;code_insee;commune;adresse;date_maj;surface_m2;habitants;latitude;longitude;categorie\n")
        for i in range(rows):
            code, name = COMMUNES[i % len(COMMUNES)]
            fh.write(
                f"{i};{code};{name};{rng.randint(1, 200)} {VOIES[i % len(VOIES)]};"
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2015, 2025)};"
                f"{rng.uniform(10, 400):.2f}".replace(".", ",")
                + f";{rng.randint(0, 9)};{48.8 + rng.random() / 10:.6f};{2.1 + rng.random() / 5:.6f};"
                f"{'ERP' if i % 7 == 0 else 'logement'}\n".replace(".", ",", 0)
            )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="beffroi-bench-sources-"))
    os.environ["BEFFROI_DATA_DIR"] = str(work / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        import duckdb

        from beffroi.sources.imports import import_file

        csv_path = work / "adresses.csv"
        generate(csv_path, ROWS)
        size_mb = csv_path.stat().st_size / 1e6

        with timer() as t:
            dataset, staged = import_file(csv_path, "bench", replace=True)
        assert dataset.row_count == ROWS, dataset.row_count
        assert staged.types["surface_m2"] == "number_comma" and staged.types["date_maj"] == "date_fr"
        beffroi_rate = ROWS / t["seconds"]

        with timer() as b:
            con = duckdb.connect(config={"threads": 2})
            con.execute(
                f"COPY (SELECT * FROM read_csv('{csv_path}', delim=';', header=true, encoding='latin-1', "
                f"decimal_separator=',', dateformat='%d/%m/%Y')) TO '{work / 'baseline.parquet'}' (FORMAT PARQUET, COMPRESSION ZSTD)"  # noqa: E501
            )
            con.close()
        baseline_rate = ROWS / b["seconds"]
        write_result(
            "sources_import",
            beffroi_rate,
            "rows/s",
            "duckdb read_csv → Parquet",
            baseline_rate,
            rows=ROWS,
            file_mb=round(size_mb, 1),
            beffroi_seconds=round(t["seconds"], 2),
            baseline_seconds=round(b["seconds"], 2),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
