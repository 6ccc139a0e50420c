"""Limits of the file imports (settings.IMPORT_MAX_*, from the BEFFROI_IMPORT_MAX_* variables)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # size of the file as given
    max_uncompressed_bytes: int  # total of a zip's members (XLSX, zipped Shapefile)
    max_ratio: int  # compression ratio of one zip member (bomb)
    max_members: int
    max_line_bytes: int
    max_vertices: int  # per geometry
    max_problems: int = 20


def limits() -> Limits:
    mb = 1024 * 1024
    return Limits(
        max_bytes=settings.IMPORT_MAX_MB * mb,
        max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_MB * mb,
        max_ratio=settings.IMPORT_MAX_ZIP_RATIO,
        max_members=settings.IMPORT_MAX_ZIP_MEMBERS,
        max_line_bytes=settings.IMPORT_MAX_LINE_KB * 1024,
        max_vertices=settings.IMPORT_MAX_VERTICES,
    )
