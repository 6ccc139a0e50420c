"""Refuse hostile containers before any parser sees them: zip bombs, path tricks, XML entities,
JSON nested past any real document."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError
from beffroi.sources.imports.limits import Limits

DOCTYPE_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)

# GeoJSON nests a few levels (a collection, its features, a geometry, a multipolygon's rings), the
# sources' APIs a few more; a document deeper than this is refused before it is parsed.
MAX_NESTING = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def too_deep(data: bytes, limit: int = MAX_NESTING) -> bool:
    """Whether JSON ``data`` nests arrays and objects deeper than ``limit`` (brackets in strings
    not counted).

    Checked before parsing rather than by catching the parser's RecursionError: reaching Python's
    recursion limit also breaks whatever else runs at that depth (finalizers the garbage collector
    calls there fail in turn), so a hostile file must not get that far.
    """
    import numpy as np

    codes = np.frombuffer(_JSON_STRING.sub(b'""', data), dtype=np.uint8)
    brackets = codes[np.isin(codes, (0x5B, 0x7B, 0x5D, 0x7D))]  # [ { ] }
    if not brackets.size:
        return False
    steps = np.where((brackets == 0x5B) | (brackets == 0x7B), 1, -1)
    return int(np.cumsum(steps).max()) > limit


def refuse(file: str, message: str, *, line: int | None = None, field: str | None = None) -> UserError:
    return UserError(
        _("%(file)s : import refusé, rien n'a été enregistré.") % {"file": file},
        [Problem(message, file=file, line=line, field=field)],
    )


def check_zip(path: Path, limits: Limits, label: str) -> zipfile.ZipFile:
    """Open a zip after checking its directory: member count, sizes, ratios, names, encryption."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise refuse(label, _("ce n'est pas une archive zip valide (%(error)s)") % {"error": exc}) from None
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise refuse(
            label,
            _("l'archive contient %(count)s fichiers (limite : %(limit)s)")
            % {"count": len(infos), "limit": limits.max_members},
        )
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
            raise refuse(
                label, _("le fichier « %(name)s » de l'archive a un chemin dangereux") % {"name": name}
            )
        if info.flag_bits & 0x1:
            raise refuse(label, _("le fichier « %(name)s » de l'archive est chiffré") % {"name": name})
        if name.lower().endswith(".zip"):
            raise refuse(label, _("l'archive imbriquée « %(name)s » n'est pas acceptée") % {"name": name})
        total += info.file_size
        if (
            info.compress_size
            and info.file_size / info.compress_size > limits.max_ratio
            and info.file_size > 1024 * 1024
        ):
            raise refuse(
                label,
                _(
                    "le fichier « %(name)s » de l'archive se décompresse %(ratio)s fois "
                    "(bombe de décompression ?)"
                )
                % {"name": name, "ratio": info.file_size // max(info.compress_size, 1)},
            )
    if total > limits.max_uncompressed_bytes:
        raise refuse(
            label,
            _("l'archive se décompresse en %(size)s octets (limite : %(limit)s)")
            % {"size": total, "limit": limits.max_uncompressed_bytes},
        )
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
                    _(
                        "le fichier « %(name)s » du classeur déclare un DOCTYPE ou des entités "
                        "(attaque par entité XML externe ?)"
                    )
                    % {"name": info.filename},
                )
