"""XLSX import (first sheet, first non-empty row as header), after zip and XML entity checks."""

from __future__ import annotations

import warnings
from pathlib import Path

import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from beffroi.core.errors import UserError
from beffroi.sources.imports.columns import to_table
from beffroi.sources.imports.csvfile import check_header
from beffroi.sources.imports.limits import Limits
from beffroi.sources.imports.safety import check_xml_members, check_zip, refuse


def load_xlsx(path: Path, label: str, limits: Limits, target: Path) -> dict:
    archive = check_zip(path, limits, label)
    with archive:
        members = {i.filename for i in archive.infolist()}
        if "[Content_Types].xml" not in members or not any(n.startswith("xl/worksheets/") for n in members):
            raise refuse(label, _("ce zip n'est pas un classeur Excel (pas de xl/worksheets)"))
        check_xml_members(archive, label)
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header, header_line = None, 0
        for header_line, row in enumerate(rows, start=1):  # noqa: B007 (used after the loop)
            if row and any(v not in (None, "") for v in row):
                header = list(row)
                break
        if header is None:
            raise refuse(label, _("la première feuille est vide"))
        while header and header[-1] in (None, ""):
            header.pop()
        names = check_header(["" if h is None else str(h) for h in header], label)
        columns: list[list] = [[] for _ in names]
        count = 0
        for row in rows:
            if not row or all(v in (None, "") for v in row):
                continue
            for i in range(len(names)):
                columns[i].append(row[i] if i < len(row) else None)
            count += 1
        wb.close()
    except UserError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise refuse(
            label, _("le classeur n'a pas pu être lu (%(error)s)") % {"error": f"{type(exc).__name__}: {exc}"}
        ) from None
    if count == 0:
        raise refuse(
            label, _("la feuille a une ligne d'en-tête mais aucune ligne de données"), line=header_line + 1
        )
    table, types = to_table(names, columns)
    pq.write_table(table, target, compression="zstd")
    return {"rows": count, "types": types}
