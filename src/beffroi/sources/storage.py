"""Files of the catalogue: Parquet tables and content-addressed raw payloads under DATASETS_DIR.

A table is written to a temporary file in the dataset's directory and renamed into place
(``os.replace`` is atomic on one file system), under a new versioned name: the catalogue row
points either at the old file or at the new one, never at a half-written one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings


def datasets_dir() -> Path:
    path = Path(settings.DATASETS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def absolute(relative: str) -> Path:
    return datasets_dir() / relative


def write_parquet(name: str, table: pa.Table) -> str:
    """Write ``table`` atomically; return its path relative to DATASETS_DIR."""
    folder = datasets_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{uuid.uuid4().hex[:12]}.parquet"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".parquet")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(final.relative_to(datasets_dir()))


def adopt_parquet(name: str, path: Path) -> str:
    """Move an already written Parquet file (same file system) into the dataset's folder."""
    folder = datasets_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{uuid.uuid4().hex[:12]}.parquet"
    os.replace(path, final)
    return str(final.relative_to(datasets_dir()))


def staging_path(suffix: str = ".parquet") -> Path:
    """A temporary file inside DATASETS_DIR (so the final rename stays on one file system)."""
    folder = datasets_dir() / ".staging"
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=suffix)
    os.close(fd)
    return Path(tmp)


def remove(relative: str) -> None:
    if relative:
        (datasets_dir() / relative).unlink(missing_ok=True)


def store_raw(payload: bytes) -> str:
    """Keep a raw payload under raw/<aa>/<sha256> (once per content); return its sha256."""
    digest = hashlib.sha256(payload).hexdigest()
    folder = datasets_dir() / "raw" / digest[:2]
    target = folder / digest
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, target)
    return digest


def read_raw(digest: str) -> bytes:
    return (datasets_dir() / "raw" / digest[:2] / digest).read_bytes()


def describe_columns(schema: pa.Schema) -> list[dict[str, str]]:
    return [{"name": f.name, "type": str(f.type)} for f in schema]


def store_raw_file(path: Path) -> str:
    """Keep a copy of an imported file under its sha256 (provenance, replay); return the digest."""
    import shutil

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            h.update(chunk)
    digest = h.hexdigest()
    folder = datasets_dir() / "raw" / digest[:2]
    target = folder / digest
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    return digest


def clean_staging(max_age_seconds: int = 86400) -> None:
    """Remove staging files left by an import that was killed (the catalogue never pointed at them)."""
    import time

    folder = datasets_dir() / ".staging"
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age_seconds
    for f in folder.iterdir():
        if f.stat().st_mtime < cutoff:
            f.unlink(missing_ok=True)
