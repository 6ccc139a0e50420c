"""Visit routes: split the visits among teams and order each round with VROOM (PyPI ``pyvroom``).

Distances are straight-line (haversine) in metres, turned into travel times at an urban speed; each visit
has a fixed service time. Teams start and end at the depot (the commune's centre, or the visits' centroid).
Visits whose address is not located are left out of the routes; the route pages and every printed
sheet name them (``access.missing_from_routes``), so nobody is left off without a word.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from beffroi.core.actors import Actor
from beffroi.core.audit import record as audit
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import require
from beffroi.registry import access
from beffroi.registry.models import Campaign, Visit, VisitRoute
from beffroi.territory.selectors import communes

log = logging.getLogger(__name__)
SPEED_M_PER_S = 20 / 3.6  # 20 km/h door to door in town
SERVICE_S = 15 * 60


def haversine_matrix(points: list[tuple[float, float]]) -> np.ndarray:
    """Metres between every pair of (lon, lat) points."""
    if not points:
        return np.zeros((0, 0))
    lon = np.radians(np.array([p[0] for p in points]))
    lat = np.radians(np.array([p[1] for p in points]))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * 6_371_000 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@dataclass
class PlannedRoute:
    team: int
    job_ids: list  # in visiting order
    distance_m: int
    duration_s: int


def solve(
    depot: tuple[float, float],
    jobs: Sequence[tuple[object, float, float]],
    teams: int,
    *,
    exploration_level: int = 1,
) -> tuple[list[PlannedRoute], list]:
    """Order ``jobs`` (id, lon, lat) into ``teams`` balanced rounds. Returns routes and unassigned ids."""
    import vroom

    if teams < 1:
        message = _("Nombre d'équipes : au moins 1.")
        raise UserError(message, [Problem(message, field="teams")])
    if not jobs:
        return [], []
    coords = [depot] + [(lon, lat) for _id, lon, lat in jobs]
    distances = haversine_matrix(coords)
    durations = np.rint(distances / SPEED_M_PER_S).astype(np.uint32)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=durations)
    per_team = math.ceil(len(jobs) / teams) + 1
    problem.add_vehicle([vroom.Vehicle(t + 1, start=0, end=0, max_tasks=per_team) for t in range(teams)])
    problem.add_job([vroom.Job(i + 1, location=i + 1, default_service=SERVICE_S) for i in range(len(jobs))])
    solution = problem.solve(exploration_level=exploration_level, nb_threads=2)
    frame = solution.routes
    routes = []
    assigned = set()
    for team in range(1, teams + 1):
        steps = frame[frame["vehicle_id"] == team]
        job_rows = steps[steps["type"] == "job"]
        indexes = [int(i) for i in job_rows["id"]]
        assigned.update(indexes)
        if not indexes:
            routes.append(PlannedRoute(team, [], 0, 0))
            continue
        path = [0] + indexes + [0]
        dist = int(sum(distances[path[k], path[k + 1]] for k in range(len(path) - 1)))
        duration = int(steps["arrival"].max()) if len(steps) else 0
        routes.append(PlannedRoute(team, [jobs[i - 1][0] for i in indexes], dist, duration))
    unassigned = [jobs[i][0] for i in range(len(jobs)) if i + 1 not in assigned]
    return routes, unassigned


def depot_for(commune: str, points: list[tuple[float, float]]) -> tuple[float, float]:
    try:
        from shapely.geometry import shape

        for c in communes():
            if c.code == commune and c.boundary:
                geom = (
                    c.boundary.get("geometry", c.boundary)
                    if c.boundary.get("type") == "Feature"
                    else c.boundary
                )
                point = shape(geom).representative_point()
                return (point.x, point.y)
    except Exception:  # the depot is a convenience; fall back to the centroid of the visits
        log.warning("registry: no commune centre for %s, using the visits' centroid", commune, exc_info=True)
    return (float(np.mean([p[0] for p in points])), float(np.mean([p[1] for p in points])))


def do_plan_routes(campaign: Campaign, *, teams: int, actor: Actor) -> list[VisitRoute]:
    """Compute the rounds of the visits still to do, replacing any earlier plan of the campaign."""
    require(actor, "registry.change_campaign", campaign.commune_code)
    access.check_reader(actor, campaign.commune_code)
    visits = list(
        Visit.objects.filter(campaign=campaign, status=Visit.Status.TO_VISIT).select_related("person")
    )
    if not visits:
        message = _("Aucune visite à faire : il n'y a pas de tournée à calculer.")
        raise UserError(message, [Problem(message, field="visits")])
    points = access.visit_points(actor, campaign, visits)
    located: list[tuple[int, float, float]] = [
        (vid, lon, lat) for vid, lon, lat in points if lon is not None and lat is not None
    ]
    if not located:
        message = _("Aucune visite n'a d'adresse localisée : placez d'abord les personnes « à localiser ».")
        raise UserError(message, [Problem(message, field="address")])
    depot = depot_for(campaign.commune_code, [(lon, lat) for _v, lon, lat in located])
    planned, _unassigned = solve(depot, located, teams)
    plan = secrets.token_hex(4)
    with transaction.atomic():
        Visit.objects.filter(campaign=campaign).update(route=None, route_order=None)
        VisitRoute.objects.filter(campaign=campaign).delete()
        created = []
        for r in planned:
            route = VisitRoute.objects.create(
                campaign=campaign, plan=plan, team=r.team, distance_m=r.distance_m, duration_s=r.duration_s
            )
            for order, visit_id in enumerate(r.job_ids, start=1):
                Visit.objects.filter(pk=visit_id).update(route=route, route_order=order)
            created.append(route)
        audit(
            actor,
            "registry.routes_planned",
            campaign,
            commune=campaign.commune_code,
            detail={"teams": teams, "visits": len(located), "not_located": len(points) - len(located)},
        )
    return created
