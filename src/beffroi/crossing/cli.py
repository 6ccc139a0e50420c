"""beffroi crossing exposure|profile — the same figures as the map panel and the API."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from django.utils.translation import gettext as _
from rich.console import Console
from rich.table import Table

from beffroi.core.errors import Problem, UserError


class Operator:
    """The person at the console: all communes, all counts (as an administrator would see them)."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None
    id = None
    username = "cli"

    def has_perm(self, perm, obj=None) -> bool:
        return True

    def is_verified(self) -> bool:
        return False


def register(subparsers) -> None:
    crossing = subparsers.add_parser("crossing", help="Cross datasets: who and what is in an area.")
    sub = crossing.add_subparsers(dest="crossing_command", metavar="ACTION", required=True)
    exp = sub.add_parser("exposure", help="Figures per layer for an area (GeoJSON file, EPSG:4326).")
    exp.add_argument("--area", help="GeoJSON file: Polygon, MultiPolygon, Feature or FeatureCollection")
    exp.add_argument("--commune", help="INSEE code of a commune, as the area")
    exp.add_argument("--iris", nargs="+", help="IRIS codes, as the area")
    exp.add_argument(
        "--hour",
        type=int,
        choices=range(24),
        metavar="0-23",
        help="hour of presence datasets (default: now, Europe/Paris)",
    )
    exp.add_argument("--zone", help="DATASET:LEVEL, e.g. flood-zones-seine:7.5 (zone at that level)")
    exp.add_argument(
        "--layers",
        nargs="*",
        help="residents addresses facilities stops registry subscribers "
        "zones:<dataset> dataset:<name> (default: all)",
    )
    exp.add_argument("--buffer", type=float, help="buffer in metres around a point or line (Lambert-93)")
    exp.add_argument("--repair", action="store_true", help="repair a self-intersecting area with make_valid")
    exp.add_argument("--format", choices=("table", "json", "csv"), default="table")
    exp.add_argument("--user", help="compute as this user (their communes and rights); default: operator")
    exp.set_defaults(handler=exposure_command)
    scen = sub.add_parser("scenario", help="What is in a hazard zone at each level (e.g. water height).")
    scen.add_argument("dataset", help="zones-per-level dataset, e.g. flood-zones-seine")
    scen.add_argument("--area", help="GeoJSON file: only what is inside this area")
    scen.add_argument("--format", choices=("table", "json", "csv"), default="table")
    scen.add_argument("--user")
    scen.set_defaults(handler=scenario_command)
    prof = sub.add_parser("profile", help="Territorial profile per commune (CSV or JSON).")
    prof.add_argument("--format", choices=("table", "json", "csv"), default="table")
    prof.add_argument("--user")
    prof.set_defaults(handler=profile_command)


def _user(username: str | None):
    if not username:
        return Operator()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise UserError(
            _("Aucun compte actif nommé %(username)s.") % {"username": repr(username)},
            [Problem(_("compte inconnu"), field="--user")],
        )
    return user


def _read_area(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise UserError(
            _("%(path)s : fichier introuvable.") % {"path": path},
            [Problem(_("fichier introuvable"), file=path)],
        )
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise UserError(
            _("%(path)s : GeoJSON invalide (%(exc)s).") % {"path": path, "exc": exc},
            [Problem(str(exc), file=path, line=line)],
        ) from exc


def exposure_command(args) -> int:
    from beffroi.crossing.exposure import flatten
    from beffroi.crossing.selectors import area_from, exposure

    zone_dataset, zone_level = None, None
    if args.zone:
        zone_dataset, _sep, level = args.zone.rpartition(":")
        try:
            zone_level = float(level)
        except ValueError as exc:
            raise UserError(
                _("--zone %(zone)s : JEU:NIVEAU attendu.") % {"zone": repr(args.zone)},
                [Problem(_("zone invalide"), field="--zone")],
            ) from exc
    user = _user(args.user)
    try:
        area = area_from(
            user=user,
            area=_read_area(args.area) if args.area else None,
            commune=args.commune,
            iris=args.iris,
            zone_dataset=zone_dataset,
            zone_level=zone_level,
        )
        result = exposure(
            area, args.layers or None, user=user, repair=args.repair, buffer_m=args.buffer, at_hour=args.hour
        )
    except UserError as exc:
        if args.area:
            exc.problems = [Problem(p.message, file=args.area, field=p.field) for p in exc.problems]
        raise
    rows = flatten(result)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        _write_csv(rows, ["layer", "figure", "value", "method", "sources"])
    else:
        console = Console()
        info = result["area"]
        console.print(f"Area: {info['km2']} km², communes {', '.join(info['communes'])}")
        for note in info["notes"]:
            console.print(f"[yellow]Note:[/] {note}")
        table = Table("Layer", "Figure", "Value")
        previous = None
        for r in rows:
            table.add_row(r["layer"] if r["layer"] != previous else "", str(r["figure"]), str(r["value"]))
            previous = r["layer"]
        console.print(table)
        for layer in result["layers"]:
            console.print(f"[bold]{layer['layer']}[/]: {layer['method']}")
            for src in layer["sources"]:
                flag = " [yellow](synthetic)[/]" if src.get("synthetic") else ""
                when = src.get("updated_at") or "?"
                console.print(f"  source: {src['title']} ({src['dataset']}, updated {when}){flag}")
    return 0


def _write_csv(rows: list[dict], fields: list[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    sys.stdout.write(buf.getvalue())


PROFILE_FIELDS = [
    "code",
    "name",
    "population",
    "pop_00_14",
    "pop_15_29",
    "pop_30_44",
    "pop_45_59",
    "pop_60_74",
    "pop_75_plus",
    "share_75_plus",
    "facilities",
    "flood_share",
    "registry",
    "vulnerability_index",
]


def profile_command(args) -> int:
    from beffroi.crossing.selectors import territorial_profile

    result = territorial_profile(user=_user(args.user))
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        _write_csv(result["communes"], PROFILE_FIELDS)
    else:
        table = Table(*PROFILE_FIELDS)
        for r in result["communes"]:
            table.add_row(*(str(r.get(f, "")) for f in PROFILE_FIELDS))
        Console().print(table)
    return 0


SCENARIO_FIELDS = ["level", "label", "residents", "75+", "addresses", "facilities", "registry"]


def scenario_command(args) -> int:
    from beffroi.crossing.selectors import scenario

    user = _user(args.user)
    result = scenario(args.dataset, user=user, area=_read_area(args.area) if args.area else None)
    rows = [{"level": lv["level"], "label": lv["label"], **lv["summary"]} for lv in result["levels"]]
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        _write_csv(rows, SCENARIO_FIELDS)
    else:
        table = Table(*SCENARIO_FIELDS, title=result["title"])
        for r in rows:
            table.add_row(*(str(r.get(f, "")) for f in SCENARIO_FIELDS))
        Console().print(table)
    return 0
