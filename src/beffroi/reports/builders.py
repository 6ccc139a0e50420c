"""Gather what the printed documents show: RETEX of a crisis, the PCS kit, a main courante.

Documents read crisis data through ``beffroi.crisis.selectors`` and alerts through
``beffroi.alerts.selectors`` when that app provides it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from beffroi.alerts import selectors as alert_selectors
from beffroi.core.timeutil import to_paris, utcnow
from beffroi.crisis import selectors as crisis_selectors
from beffroi.crisis.chain import verify
from beffroi.crossing import selectors as crossing_selectors
from beffroi.reports import basemap
from beffroi.territory.selectors import boundaries_feature_collection

logger = logging.getLogger(__name__)

PCC_CELLS = [
    (
        "DOS",
        gettext_lazy(
            "Directeur des opérations : le maire (ou son représentant). Décide, alerte la population, "
            "rend compte au préfet."
        ),
    ),
    (
        gettext_lazy("Responsable du PCC"),
        gettext_lazy("Anime la cellule, tient le point de situation, organise les relèves."),
    ),
    (
        gettext_lazy("Secrétariat / main courante"),
        gettext_lazy("Tient la main courante, l'annuaire et la cartographie."),
    ),
    (
        gettext_lazy("Logistique"),
        gettext_lazy("Moyens matériels, services techniques, hébergements, ravitaillement, transports."),
    ),
    (
        gettext_lazy("Soutien aux populations"),
        gettext_lazy("Personnes vulnérables (registre), accueil, CCAS, bénévoles."),
    ),
    (
        gettext_lazy("Communication"),
        gettext_lazy("Messages à la population, standard téléphonique, relations avec les médias."),
    ),
    (
        gettext_lazy("Liaison COS"),
        gettext_lazy("Lien avec le commandant des opérations de secours (SDIS) sur le terrain."),
    ),
]

# Safety instructions of the DICRIM, per hazard (national consignes, Ministère de la transition écologique).
DICRIM = {
    "inondation": [
        gettext_lazy(
            "Mettez-vous à l'abri dans un bâtiment, en hauteur ; ne descendez pas dans les sous-sols."
        ),
        gettext_lazy(
            "Ne prenez pas votre voiture ; ne vous engagez jamais sur une route inondée, à "
            "pied ou en voiture."
        ),
        gettext_lazy(
            "Coupez l'électricité et le gaz si l'eau menace d'entrer ; mettez vos biens et "
            "papiers en hauteur."
        ),
        gettext_lazy("N'allez pas chercher les enfants à l'école : ils sont mis en sécurité."),
        gettext_lazy(
            "Écoutez la radio (France Bleu) et suivez les consignes des autorités ; évacuez "
            "si on vous le demande."
        ),
    ],
    "canicule": [
        gettext_lazy(
            "Buvez de l'eau régulièrement sans attendre d'avoir soif ; mangez en quantité suffisante."
        ),
        gettext_lazy(
            "Rafraîchissez-vous : douches, linge humide, lieux climatisés ; fermez volets et "
            "fenêtres le jour."
        ),
        gettext_lazy("Évitez les efforts physiques et l'alcool ; ne sortez pas aux heures les plus chaudes."),
        gettext_lazy(
            "Prenez des nouvelles de vos proches âgés ou isolés ; inscrivez-les au registre de la mairie."
        ),
        gettext_lazy("Canicule info service : 0 800 06 66 66 (appel gratuit). En cas de malaise : 15."),
    ],
    "tempete": [
        gettext_lazy(
            "Rentrez à l'abri ; limitez vos déplacements ; rangez les objets pouvant être emportés."
        ),
        gettext_lazy("Ne touchez pas aux fils électriques tombés ; ne vous abritez pas sous les arbres."),
    ],
    "general": [
        gettext_lazy(
            "Signal national d'alerte : son montant et descendant de 3 fois 1 min 41 s ; fin "
            "d'alerte : son continu de 30 s."
        ),
        gettext_lazy(
            "Mettez-vous à l'abri, écoutez la radio, respectez les consignes, ne téléphonez "
            "qu'en cas d'urgence."
        ),
        gettext_lazy(
            "Numéros d'urgence : 112, 15 (SAMU), 17 (police), 18 (pompiers), 114 (SMS, personnes sourdes)."
        ),
    ],
}


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    return (f"{days} j " if days else "") + f"{rest // 60} h {rest % 60:02d} min"


def _minutes(delta: timedelta | None) -> int | None:
    return None if delta is None else round(delta.total_seconds() / 60)


def alerts_for(crisis) -> list[dict[str, Any]]:
    """Alerts of the crisis with their reach, from the alerts app when it is installed."""
    rows = []
    for alert in alert_selectors.alerts_for_crisis(crisis.pk):
        if not isinstance(alert, dict):
            alert = {"headline": str(alert), "status": str(getattr(alert, "status", ""))}
        sent = alert.get("sent")
        if isinstance(sent, str):
            from datetime import datetime

            sent = datetime.fromisoformat(sent)
        reach = {
            label: alert[key]
            for key, label in (
                ("targeted", _("ciblés")),
                ("delivered", _("remis")),
                ("failed", _("échecs")),
                ("pending", _("en attente")),
                ("unreachable_in_area", _("injoignables dans la zone")),
            )
            if alert.get(key) is not None
        }
        rows.append(
            {
                "title": alert.get("headline") or f"#{alert.get('id')}",
                "status": " / ".join(str(alert[k]) for k in ("msgType", "state", "status") if alert.get(k)),
                "sent_at": sent,
                "reach": reach,
            }
        )
    return rows


def retex(crisis) -> dict[str, Any]:
    entries = list(crisis_selectors.entries(crisis))
    tasks = list(crisis_selectors.tasks(crisis).order_by("created_at", "id"))
    report = verify(crisis)
    end = crisis.closed_at or utcnow()
    task_rows = []
    for t in tasks:
        # A task still open when the crisis closed is measured against the closure.
        delay = (t.done_at or end) - t.deadline if t.deadline else None
        task_rows.append(
            {
                "task": t,
                "delay_min": _minutes(delay) if delay is not None else None,
                "late": delay is not None and delay.total_seconds() > 0,
                "took_min": _minutes(t.done_at - t.created_at) if t.done_at else None,
            }
        )
    done = [r for r in task_rows if r["task"].status == "done"]
    late = [r for r in task_rows if r["late"] and r["task"].status != "cancelled"]
    open_tasks = [r for r in task_rows if r["task"].is_open]
    levels = [crisis.level]
    figures = {
        "duration": _duration(end - crisis.opened_at),
        "entries": len(entries),
        "by_category": Counter(e.get_category_display() for e in entries).most_common(),
        "by_source": Counter(e.get_source_display() for e in entries).most_common(),
        "decisions": sum(1 for e in entries if e.category == "decision"),
        "corrections": sum(1 for e in entries if e.corrects_id),
        "deferred": sum(1 for e in entries if e.deferred),
        "tasks": len(tasks),
        "tasks_done": len(done),
        "tasks_late": len(late),
        "tasks_open": len(open_tasks),
        "median_task_min": sorted(r["took_min"] for r in done)[len(done) // 2] if done else None,
        "authors": len({e.author_label for e in entries}),
        "max_level": max(levels),
        "reflex_runs": crisis.reflex_runs.count(),
        "loans": crisis.loans.count(),
    }
    recommendations = []
    if late:
        recommendations.append(
            _(
                "%(n)d tâche(s) réalisée(s) ou restée(s) après leur échéance : revoir les délais des "
                "fiches réflexes ou les moyens affectés (%(list)s)."
            )
            % {"n": len(late), "list": "; ".join(r["task"].title for r in late[:5])}
        )
    if open_tasks:
        recommendations.append(
            ngettext(
                "%(n)d tâche encore ouverte à la clôture : désigner un responsable du suivi.",
                "%(n)d tâches encore ouvertes à la clôture : désigner un responsable du suivi.",
                len(open_tasks),
            )
            % {"n": len(open_tasks)}
        )
    if figures["deferred"]:
        recommendations.append(
            _(
                "%(n)d entrée(s) saisie(s) après coup depuis le papier : vérifier l'alimentation "
                "de secours et le kit papier du PCC."
            )
            % {"n": figures["deferred"]}
        )
    if figures["corrections"]:
        recommendations.append(
            _(
                "%(n)d correction(s) de la main courante : rappeler la vérification des "
                "informations avant inscription."
            )
            % {"n": figures["corrections"]}
        )
    if not crisis.reflex_runs.exists():
        recommendations.append(
            _("Aucune fiche réflexe déclenchée : vérifier qu'une fiche existe pour cet aléa et ce niveau.")
        )
    if not report.ok:
        recommendations.append(
            _("La chaîne de la main courante est rompue : enquête nécessaire avant toute exploitation.")
        )
    recommendations.append(
        _(
            "Mettre à jour l'annuaire opérationnel et l'inventaire des moyens après l'événement "
            "(obligatoire au moins tous les cinq ans)."
        )
    )
    return {
        "crisis": crisis,
        "communes_names": crisis_selectors.crisis_communes_names(crisis),
        "entries": entries,
        "decisions": [e for e in entries if e.category == "decision"],
        "tasks": task_rows,
        "figures": figures,
        "recommendations": recommendations,
        "alerts": alerts_for(crisis),
        "chain": report,
        "staffing": list(crisis.staffing.all()),
        "handovers": list(crisis.handovers.all()),
        "reflex_runs": list(crisis.reflex_runs.all()),
        "generated_at": utcnow(),
    }


def _exterior_rings(geometry) -> list:
    polygons = getattr(geometry, "geoms", [geometry])
    return [list(p.exterior.coords) for p in polygons if getattr(p, "exterior", None) is not None]


def risk_zones(commune) -> list[dict[str, Any]]:
    """Hazard zones (crossing's zones-per-level datasets) clipped to the commune, widest level only.

    Empty when the crossing or sources apps, or their datasets, are not available.
    """
    try:
        import pyarrow.parquet as pq
        from shapely import wkb
        from shapely.geometry import shape

        datasets = crossing_selectors.hazard_datasets()
    except Exception:  # optional: the printed plan never fails for want of risk zones
        logger.warning("reports: risk zones unavailable for %s", commune.code, exc_info=True)
        return []
    try:
        area = shape(commune.boundary)
    except Exception:  # a commune without a usable boundary gets a plan without zones
        logger.warning("reports: boundary of %s unreadable", commune.code, exc_info=True)
        return []
    zones = []
    for info in datasets:
        try:
            column = info.geometry_column or "geometry"
            rows = pq.read_table(info.parquet_path).to_pylist()
        except Exception:
            logger.warning("reports: risk zones of %s unreadable", getattr(info, "name", info), exc_info=True)
            continue
        best = None
        for row in rows:
            raw = row.get(column)
            if raw is None:
                continue
            geometry = wkb.loads(raw) if isinstance(raw, bytes) else shape(json.loads(raw))
            clipped = geometry.intersection(area)
            if clipped.is_empty:
                continue
            level = row.get("level")
            if best is None or (level is not None and best["level"] is not None and level > best["level"]):
                best = {"geometry": clipped, "level": level, "label": row.get("label") or ""}
        if best is not None:
            best.update(
                title=info.title,
                synthetic=bool(getattr(info, "synthetic", False)),
                source=getattr(info, "origin", ""),
            )
            zones.append(best)
    return zones


def _svg_map(commune, shelters, numbers: dict, zones: list | None = None, *, with_background=True):
    """One commune's boundary, risk zones (hatched) and shelters (H1…) as inline SVG, equirectangular,
    over the background tiles when they could be had. Returns (svg, whether it has a background).

    Over a commune (a few km) the equirectangular scale at the mean latitude and the tiles' Web
    Mercator agree to well under a millimetre of the print, so each tile is placed by its corners."""
    zones = zones or []
    import math

    geom = commune.boundary or {}
    polys = geom.get("coordinates", [])
    if geom.get("type") == "Polygon":
        polys = [polys]
    rings = [poly[0] for poly in polys if poly]
    if not rings:
        return "", False
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    minx, maxx, miny, maxy = min(lons) * k, max(lons) * k, min(lats), max(lats)
    span = max(maxx - minx, maxy - miny, 1e-9)
    size = 400.0
    scale = size / span
    width, height = (maxx - minx) * scale, (maxy - miny) * scale

    def xy(lon, lat):
        return (lon * k - minx) * scale + 10, (maxy - lat) * scale + 10

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + 20:.0f} {height + 20:.0f}" '
        f'width="{80 * (width + 20) / (size + 20):.0f}mm" height="{80 * (height + 20) / (size + 20):.0f}mm" '
        f'class="territory-map" role="img" aria-label="{_("Carte de")} {commune.name}">'
        f'<defs><pattern id="hatch-{commune.code}" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#000" stroke-width="1.5"/>'
        "</pattern></defs>"
    ]
    tiles = basemap.background(min(lons), min(lats), max(lons), max(lats)) if with_background else None
    for tile in tiles or []:
        (x0, y0), (x1, y1) = xy(tile.west, tile.north), xy(tile.east, tile.south)
        parts.append(
            f'<image href="{tile.data_uri}" x="{x0:.2f}" y="{y0:.2f}" width="{x1 - x0:.2f}" '
            f'height="{y1 - y0:.2f}" preserveAspectRatio="none"/>'
        )
    fill = 'fill="#ffffff" fill-opacity="0.2"' if tiles else 'fill="#f4f4f4"'
    for ring in rings:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*p[:2]) for p in ring))
        parts.append(f'<polygon points="{points}" {fill} stroke="#000" stroke-width="2"/>')
    for zone in zones:
        for ring in _exterior_rings(zone["geometry"]):
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*p[:2]) for p in ring))
            parts.append(
                f'<polygon points="{points}" fill="url(#hatch-{commune.code})" stroke="#000" '
                f'stroke-width="1" stroke-dasharray="4 3"/>'
            )
    for s in shelters:
        if s.commune != commune.code or not (s.lat and s.lon):
            continue
        x, y = xy(s.lon, s.lat)
        label = f"H{numbers[s.pk]}"
        parts.append(
            f'<rect x="{x - 6:.0f}" y="{y - 6:.0f}" width="12" height="12" fill="#fff" stroke="#000" '
            f'stroke-width="2.5"/><rect x="{x + 8:.0f}" y="{y - 9:.0f}" width="{9 * len(label) + 4}" '
            f'height="18" fill="#fff" stroke="none"/><text x="{x + 10:.0f}" y="{y + 5:.0f}" '
            f'font-size="15" font-weight="bold">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts), bool(tiles)


def pcs(communes) -> dict[str, Any]:
    codes = [c.code for c in communes]
    contacts = list(crisis_selectors.directory(codes))
    sheets = list(crisis_selectors.reflex_sheets(codes))
    resources = list(crisis_selectors.resources(codes))
    shelters = list(crisis_selectors.shelters(codes))
    active = [c for c in crisis_selectors.active_crises() if set(c.communes) & set(codes)]
    fingerprint = json.dumps(
        {
            "communes": codes,
            "contacts": [(c.pk, c.updated_at.isoformat()) for c in contacts],
            "sheets": [(s.pk, s.version) for s in sheets],
            "resources": [(r.pk, r.updated_at.isoformat()) for r in resources],
            # The description only: people arriving in a shelter do not make a new kit version.
            "shelters": [(s.pk, s.name, s.address, s.capacity, s.contact, s.contact_phone) for s in shelters],
        },
        sort_keys=True,
    )
    numbers = {s.pk: i for i, s in enumerate(shelters, 1)}
    maps = []
    for c in communes:
        zones = risk_zones(c)
        svg, has_background = _svg_map(c, shelters, numbers, zones)
        maps.append((c, svg, zones, has_background))
    version = hashlib.sha256(fingerprint.encode()).hexdigest()[:10]
    hazards = sorted({s.hazard for s in sheets} | {c.hazard for c in active})
    logs = [
        {"crisis": c, "entries": list(crisis_selectors.entries(c)), "head": crisis_selectors.chain_head(c)}
        for c in active
    ]
    return {
        "communes": communes,
        "contacts": contacts,
        "sheets": sheets,
        "resources": resources,
        "shelters": shelters,
        "active": logs,
        "cells": PCC_CELLS,
        "version": version,
        "generated_at": utcnow(),
        "maps": maps,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "dicrim": [(h, DICRIM[h]) for h in hazards if h in DICRIM] + [("general", DICRIM["general"])],
        "geojson": boundaries_feature_collection(communes),
        "blank_rows": range(18),
    }


def log(crisis) -> dict[str, Any]:
    return {
        "crisis": crisis,
        "entries": list(crisis_selectors.entries(crisis)),
        "head": crisis_selectors.chain_head(crisis),
        "chain": verify(crisis),
        "generated_at": utcnow(),
        "communes_names": crisis_selectors.crisis_communes_names(crisis),
    }


def paris(value):
    return to_paris(value) if value else None
