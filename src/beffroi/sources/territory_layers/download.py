"""Online mode: fetch the official files through the sources app's HTTP client (SSRF guard, size
cap, retries) into a working folder, then build from them exactly as offline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from beffroi.core.env import env_int
from beffroi.core.errors import Problem, UserError
from beffroi.sources.territory_layers.files import EXPECTED, RawFile, raw_file

FINESS_RESOURCE = re.compile(r"etalab-cs1100507-stock-\d{8}-\d{4}\.csv$", re.IGNORECASE)


def _client():
    from beffroi.sources.connectors.http import HttpClient

    # National files are large (BPE, FINESS): a cap of their own, still a cap.
    return HttpClient(max_bytes=env_int("BEFFROI_LAYERS_MAX_MB", 300) * 1024 * 1024, timeout=120.0)


def _get(client, url: str):
    from beffroi.sources.connectors.errors import BlockedURL, FetchError, NoNetwork

    try:
        return client.request("GET", url, accept=(200,))
    except (BlockedURL, FetchError, NoNetwork) as exc:
        raise UserError(
            _(
                "Téléchargement impossible de %(url)s : %(reason)s. "
                "Téléchargez le fichier et passez --from DOSSIER."
            )
            % {"url": url, "reason": exc},
            [Problem(str(exc), file=url)],
        ) from None


def finess_url(client, api_url: str) -> str:
    """The latest établissements extraction listed by the data.gouv.fr dataset."""
    fetched = _get(client, api_url)
    try:
        resources = json.loads(fetched.content).get("resources") or []
    except (ValueError, AttributeError):
        resources = []
    candidates = [
        r for r in resources if isinstance(r, dict) and FINESS_RESOURCE.search(str(r.get("url", "")))
    ]
    if not candidates:
        raise UserError(
            _("Aucune extraction FINESS des établissements trouvée dans %(url)s.") % {"url": api_url},
            [Problem(_("ressource etalab-cs1100507-stock-AAAAMMJJ-HHMM.csv attendue"), file=api_url)],
        )
    return str(max(candidates, key=lambda r: str(r.get("last_modified") or ""))["url"])


def fetch(key: str, workdir: Path, *, dep: str | None = None, url: str | None = None) -> RawFile:
    spec = EXPECTED[key]
    if key == "contours" and not url:
        raise UserError(
            _(
                "Les contours IRIS de l'IGN ne sont publiés qu'en archive nationale .7z de plusieurs "
                "centaines de Mo : téléchargez CONTOURS-IRIS (https://geoservices.ign.fr/contoursiris), "
                "extrayez le GeoPackage et passez --from DOSSIER ou --contours FICHIER."
            ),
            [Problem(_("contours IRIS requis"), field="contours")],
        )
    client = _client()
    try:
        target = url or spec.url.format(dep=dep or "")
        if key == "finess" and not url:
            target = finess_url(client, spec.url)
        fetched = _get(client, target)
    finally:
        client.close()
    name = Path(urlsplit(fetched.url).path).name or f"{key}.bin"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:120]
    path = workdir / name
    path.write_bytes(fetched.content)
    return raw_file(key, path, origin=fetched.url)
