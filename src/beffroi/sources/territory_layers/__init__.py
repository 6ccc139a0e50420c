"""Territory layers built from the official files in one command (``beffroi sources layers build``).

- ``residents`` (dataset ``iris-population``): INSEE population by IRIS and age band + IGN contours;
- ``addresses`` (dataset ``addresses``): BAN points of the chosen communes;
- ``facilities`` (dataset ``facilities``): schools and crèches (BPE), hospitals, dialysis, HAD,
  EHPAD (FINESS).

Every file is read and checked before anything is stored; then all datasets of the build are
registered in one transaction (``store.do_store_layers``), so a bad file leaves the catalogue as it
was. A second build replaces the datasets with a new version (new file, new build id).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.errors import Problem, UserError
from beffroi.sources.territory_layers import addresses, facilities, residents
from beffroi.sources.territory_layers.files import RawFile, department, find, raw_file
from beffroi.sources.territory_layers.store import Layer, do_store_layers, provenance

LAYERS = ("residents", "addresses", "facilities")
COMMUNE_RE = re.compile(r"^(\d[\dAB]\d{3})$")

__all__ = ["LAYERS", "BuildReport", "build", "provenance"]


@dataclass
class BuildReport:
    build_id: str
    communes: list[str]
    datasets: dict[str, int] = field(default_factory=dict)  # name -> rows
    files: list[RawFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_communes(values: list[str]) -> list[str]:
    out = []
    for v in values:
        for code in re.split(r"[,\s]+", v.strip().upper()):
            if not code:
                continue
            if not COMMUNE_RE.match(code):
                raise UserError(
                    _("Code commune INSEE invalide : %(code)r (5 caractères, ex. 92063).") % {"code": code},
                    [Problem(_("code INSEE attendu"), field="communes")],
                )
            if code not in out:
                out.append(code)
    if not out:
        raise UserError(
            _("Donnez au moins un code commune INSEE."), [Problem(_("aucune commune"), field="communes")]
        )
    return sorted(out)


def parse_only(value: str | None) -> list[str]:
    if not value:
        return list(LAYERS)
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in LAYERS]
    if unknown or not chosen:
        raise UserError(
            _("Couche inconnue : %(names)s (au choix : %(known)s).")
            % {"names": ", ".join(unknown) or "-", "known": ", ".join(LAYERS)},
            [Problem(_("couche inconnue"), field="only")],
        )
    return [name for name in LAYERS if name in chosen]


class _Files:
    """Where raw files come from: FOLDER offline, or downloads into a working folder online."""

    def __init__(self, folder: Path | None, workdir: Path, urls: dict[str, str], contours: Path | None):
        self.folder, self.workdir, self.urls, self.contours = folder, workdir, urls, contours
        if folder is not None and not folder.is_dir():
            raise UserError(
                _("Dossier introuvable : %(folder)s.") % {"folder": folder},
                [Problem(_("dossier introuvable"), file=str(folder))],
            )

    def get(self, key: str, *, dep: str | None = None) -> RawFile:
        if key == "contours" and self.contours is not None:
            if not self.contours.is_file():
                raise UserError(
                    _("Fichier introuvable : %(file)s.") % {"file": self.contours},
                    [Problem(_("fichier introuvable"), file=str(self.contours))],
                )
            return raw_file(key, self.contours)
        url = self.urls.get(f"{key}-{dep}" if dep else key) or self.urls.get(key)
        if self.folder is not None and not url:
            return raw_file(key, find(self.folder, key, dep=dep))
        from beffroi.sources.territory_layers.download import fetch

        if url and dep:
            url = url.replace("{dep}", dep)
        return fetch(key, self.workdir, dep=dep, url=url)


def build(
    communes: list[str],
    *,
    folder: Path | str | None = None,
    only: list[str] | None = None,
    urls: dict[str, str] | None = None,
    contours: Path | str | None = None,
    actor: Actor,
) -> BuildReport:
    """Build the chosen layers for ``communes`` and store them in one go; raises ``UserError``."""
    communes = parse_communes(communes)
    only = only or list(LAYERS)
    report = BuildReport(build_id=uuid.uuid4().hex[:12], communes=communes)
    with tempfile.TemporaryDirectory(prefix="beffroi-layers-") as tmp:
        files = _Files(
            Path(folder) if folder else None, Path(tmp), urls or {}, Path(contours) if contours else None
        )
        layers: list[Layer] = []
        if "residents" in only:
            population, shapes = files.get("population"), files.get("contours")
            table, notes = residents.build(population, shapes, communes)
            layers.append(
                Layer(
                    residents.NAME,
                    residents.TITLE,
                    table,
                    [("population", population), ("contours", shapes)],
                    notes,
                )
            )
        if "addresses" in only:
            deps = sorted({department(c) for c in communes})
            bans = [files.get("ban", dep=d) for d in deps]
            table = addresses.build(bans, communes)
            layers.append(Layer(addresses.NAME, addresses.TITLE, table, [("adresses", b) for b in bans]))
        if "facilities" in only:
            bpe, finess = files.get("bpe"), files.get("finess")
            table, notes = facilities.build(bpe, finess, communes)
            layers.append(
                Layer(facilities.NAME, facilities.TITLE, table, [("bpe", bpe), ("finess", finess)], notes)
            )
        stored = do_store_layers(
            layers,
            build_id=report.build_id,
            built_at=timezone.now().isoformat(),
            communes=communes,
            actor=actor,
        )
    for layer, dataset in zip(layers, stored, strict=True):
        report.datasets[dataset.name] = dataset.row_count
        report.files.extend(raw for _role, raw in layer.raws)
        report.notes.extend(f"{dataset.name}: {n}" for n in layer.notes)
    return report
