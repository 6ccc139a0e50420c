"""beffroi monitoring list|check-stale|publish-pages|sync-derived|ingest"""

from __future__ import annotations

import json
from pathlib import Path

from beffroi.core.actors import SystemActor
from beffroi.core.errors import Problem, UserError


def register(subparsers) -> None:
    monitoring = subparsers.add_parser(
        "monitoring", help="Indicators, levels and the public indicator pages."
    )
    sub = monitoring.add_subparsers(dest="monitoring_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="List indicators with their value, level and freshness.").set_defaults(
        handler=list_cmd
    )
    sub.add_parser(
        "check-stale", help="Mark late sources as stale (also run every minute by the worker)."
    ).set_defaults(handler=check_stale)
    sub.add_parser("publish-pages", help="Rewrite the public indicator pages.").set_defaults(
        handler=publish_pages
    )
    sub.add_parser(
        "sync-derived",
        help="Update the indicators computed from a saved crossing or a dataset (also every 15 min).",
    ).set_defaults(handler=sync_derived_cmd)
    ingest = sub.add_parser("ingest", help='Ingest observations from a JSON file ({"points": [...]}).')
    ingest.add_argument("file", help='JSON file: a list of points or {"points": [...]}.')
    ingest.add_argument("--source", default="cli", help="Source label stored with the points.")
    ingest.set_defaults(handler=ingest_cmd)


def list_cmd(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from beffroi.monitoring.models import Indicator
    from beffroi.monitoring.selectors import snapshot

    table = Table("clé", "commune", "valeur", "niveau", "âge (min)", "source")
    for indicator in Indicator.objects.select_related("state").prefetch_related("thresholds"):
        s = snapshot(indicator, history=__import__("datetime").timedelta(0))
        value = "—" if s["value"] is None else f"{s['value']:g} {s['unit']}"
        level = s["level_label"] + (" (en retard)" if s["stale"] else "")
        table.add_row(s["key"], s["commune"], value, level, str(s["age_minutes"] or "—"), s["source"])
    Console().print(table)
    return 0


def check_stale(args) -> int:
    from beffroi.monitoring.actions import do_check_staleness

    changed = do_check_staleness(actor=SystemActor("cli"))
    print(f"{len(changed)} indicator(s) changed: {', '.join(changed) or '-'}")
    return 0


def sync_derived_cmd(args) -> int:
    from beffroi.monitoring.derived import sync_derived

    report = sync_derived()
    print(f"{report.points} point(s) for {report.indicators} derived indicator(s)")
    for problem in report.problems:
        print(f"problem: {problem}")
    return 2 if report.problems else 0  # a misconfigured series is the user's to fix


def publish_pages(args) -> int:
    from beffroi.monitoring.public_pages import write_indicator_pages

    written = write_indicator_pages()
    print(f"{len(written)} page(s) written under {written[0].parent if written else '-'}")
    return 0


def ingest_cmd(args) -> int:
    from beffroi.monitoring.actions import do_ingest_points

    path = Path(args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file", [Problem("file not found", file=str(path))]) from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not JSON", [Problem(exc.msg, file=str(path), line=exc.lineno)]) from None
    points = data.get("points") if isinstance(data, dict) else data
    stored = do_ingest_points(points, source=args.source, actor=SystemActor("cli"), strict=True)
    print(f"{stored} point(s) stored")
    return 0
