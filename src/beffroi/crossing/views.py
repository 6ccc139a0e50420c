"""Map page (draw an area, read the exposure panel, slide a hazard level) and territorial profile."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from beffroi.core.maps import map_config
from beffroi.core.permissions import has_perm, require
from beffroi.crossing import selectors
from beffroi.crossing.cli import PROFILE_FIELDS
from beffroi.crossing.layers import catalogue, source_ref
from beffroi.crossing.profile import DEFAULT_WEIGHTS, weights_from
from beffroi.territory.selectors import boundaries_feature_collection, communes_for_user

VIEW = "crossing.view_exposure"


def _strings() -> dict[str, Any]:
    return {
        "figure": _("Indicateur"),
        "value": _("Valeur"),
        "total": _("Total"),
        "method": _("Méthode"),
        "sources": _("Sources"),
        "synthetic": _("synthétique"),
        "area": _("Surface"),
        "communes": _("Communes"),
        "computing": _("Calcul en cours…"),
        "error": _("Erreur"),
        # The separator before a value: « Surface : 2 km² » in French, "Area: 2 km²" in English.
        "colon": _(" : "),
        "clickFirst": _("Cliquez sur la carte pour placer les sommets (au moins 3)."),
        "clickCentre": _("Cliquez sur la carte pour placer le centre du cercle."),
        "closed": _("Zone fermée."),
        "level": _("Niveau"),
        "residents": _("Habitants"),
        "over75": _("dont 75 ans et plus"),
        "addresses": _("Adresses"),
        "facilities": _("Équipements"),
        "registry": _("Registre (nombre)"),
        "lines": _("Lignes"),
        "updated": _("mis à jour le"),
        "notes": _("Remarques"),
        "saved": _("Croisement enregistré."),
        "inArea": _("dans la zone dessinée"),
        "list": _("Liste"),
        "exportCsv": _("Exporter ces chiffres (CSV)"),
        "clickLine": _(
            "Cliquez sur la carte pour tracer la ligne (au moins 2 points), puis sur « Fermer la zone »."
        ),
        "zone": _("Zone"),
        "figureLabels": {
            "total": _("Total"),
            "share_75_plus_pct": _("Part des 75 ans et plus (%)"),
            "hour": _("Heure"),
            "lowest_level": _("Niveau le plus bas atteignant la zone (m)"),
            "zones": _("Zones"),
            "lines": _("Lignes desservant la zone"),
            "ecole": _("Écoles"),
            "creche": _("Crèches"),
            "ehpad": _("EHPAD"),
            "sante": _("Établissements de santé"),
            "gymnase": _("Gymnases"),
            "75+": _("75 ans et plus"),
        },
    }


def index(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    communes = sorted(communes_for_user(request.user), key=lambda c: c.code)
    datasets = catalogue()
    hazards = selectors.hazard_datasets(datasets)
    saved = selectors.saved_crossings(user=request.user)
    return render(
        request,
        "crossing/index.html",
        {
            "communes": communes,
            "hazards": hazards,
            "datasets": [source_ref(d) for d in datasets],
            "any_synthetic": any(d.synthetic for d in datasets),
            "strings": _strings(),
            "map_data": {
                "boundaries": boundaries_feature_collection(communes),
                **map_config(),
                "exposureUrl": "/api/crossing/exposure",
                "scenarioUrl": "/api/crossing/scenario/",
                "savedUrl": "/api/crossing/saved",
                "saved": {"type": "FeatureCollection", "features": [selectors.saved_layer(s) for s in saved]},
            },
            "saved": saved,
            "can_save": has_perm(request.user, "crossing.add_savedcrossing"),
        },
    )


def profile(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    weights = weights_from(request.GET)
    result = selectors.territorial_profile(user=request.user, weights=weights)
    communes = sorted(communes_for_user(request.user), key=lambda c: c.code)
    labels = _strings()["figureLabels"]
    for row in result["communes"]:
        row["facilities_title"] = " ; ".join(
            f"{labels.get(kind, kind)} {n}" for kind, n in row.get("facilities_by_type", {}).items()
        )
    return render(
        request,
        "crossing/profile.html",
        {
            "profile": result,
            "weights": [(k, weights[k], DEFAULT_WEIGHTS[k]) for k in DEFAULT_WEIGHTS],
            "query": request.GET.urlencode(),
            "any_synthetic": any(s["synthetic"] for s in result["sources"]),
            "map_data": {
                "boundaries": boundaries_feature_collection(communes),
                "index": {r["code"]: r["vulnerability_index"] for r in result["communes"]},
                "iris": selectors.iris_features(user=request.user),
                "labels": {
                    "communes": _("Indice de vulnérabilité par commune"),
                    "iris": _("Part des 75 ans et plus par IRIS (%)"),
                    "colon": _(" : "),
                    "inhabitants": _("hab."),
                },
                **map_config(),
            },
        },
    )


def profile_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The per-commune profile as CSV, GeoJSON (with commune boundaries) or Parquet."""
    require(request.user, VIEW)
    result = selectors.territorial_profile(user=request.user, weights=weights_from(request.GET))
    rows = [{k: r.get(k) for k in PROFILE_FIELDS} for r in result["communes"]]
    name = "profil-territorial"
    if fmt == "geojson":
        boundaries = {c.code: c.boundary for c in communes_for_user(request.user)}
        doc = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "id": r["code"], "geometry": boundaries.get(r["code"]), "properties": r}
                for r in rows
            ],
        }
        response = HttpResponse(json.dumps(doc, ensure_ascii=False), content_type="application/geo+json")
    elif fmt == "parquet":
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buf)
        response = HttpResponse(buf.getvalue(), content_type="application/vnd.apache.parquet")
    else:
        fmt = "csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.DictWriter(
            response, fieldnames=PROFILE_FIELDS, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
