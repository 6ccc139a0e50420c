"""Limits of the file imports, overridable through the environment."""

from __future__ import annotations

from dataclasses import dataclass

from beffroi.core.env import env_int


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
        max_bytes=env_int("BEFFROI_IMPORT_MAX_MB", 500) * mb,
        max_uncompressed_bytes=env_int("BEFFROI_IMPORT_MAX_UNCOMPRESSED_MB", 1000) * mb,
        max_ratio=env_int("BEFFROI_IMPORT_MAX_ZIP_RATIO", 200),
        max_members=env_int("BEFFROI_IMPORT_MAX_ZIP_MEMBERS", 1000),
        max_line_bytes=env_int("BEFFROI_IMPORT_MAX_LINE_KB", 1024) * 1024,
        max_vertices=env_int("BEFFROI_IMPORT_MAX_VERTICES", 100_000),
    )
