"""Refuse hostile containers before any parser sees them: zip bombs, path tricks, XML entities."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from beffroi.core.errors import Problem, UserError
from beffroi.sources.imports.limits import Limits

DOCTYPE_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def refuse(file: str, message: str, *, line: int | None = None, field: str | None = None) -> UserError:
    return UserError(
        f"{file}: import refused, nothing was stored.", [Problem(message, file=file, line=line, field=field)]
    )


def check_zip(path: Path, limits: Limits, label: str) -> zipfile.ZipFile:
    """Open a zip after checking its directory: member count, sizes, ratios, names, encryption."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise refuse(label, f"not a valid zip archive ({exc})") from None
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise refuse(label, f"the archive holds {len(infos)} members (limit {limits.max_members})")
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
            raise refuse(label, f"member {name!r} has an unsafe path")
        if info.flag_bits & 0x1:
            raise refuse(label, f"member {name!r} is encrypted")
        if name.lower().endswith(".zip"):
            raise refuse(label, f"nested archive {name!r} is not accepted")
        total += info.file_size
        if (
            info.compress_size
            and info.file_size / info.compress_size > limits.max_ratio
            and info.file_size > 1024 * 1024
        ):
            raise refuse(
                label,
                f"member {name!r} expands {info.file_size // max(info.compress_size, 1)} times (zip bomb?)",
            )
    if total > limits.max_uncompressed_bytes:
        raise refuse(label, f"the archive expands to {total} bytes (limit {limits.max_uncompressed_bytes})")
    return archive


def check_xml_members(archive: zipfile.ZipFile, label: str) -> None:
    """XLSX parts are XML: refuse any DOCTYPE/ENTITY (external entities, billion laughs)."""
    for info in archive.infolist():
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            with archive.open(info) as fh:
                head = fh.read(64 * 1024)
            if DOCTYPE_RE.search(head):
                raise refuse(
                    label,
                    f"member {info.filename!r} declares a DOCTYPE or entities (XML external entity attack?)",
                )
