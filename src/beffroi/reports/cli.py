"""beffroi reports pcs|retex"""

from __future__ import annotations

from pathlib import Path

from beffroi.core.actors import SystemActor
from beffroi.core.audit import record
from beffroi.core.errors import Problem, UserError
from beffroi.crisis.selectors import crisis_by_number
from beffroi.territory.selectors import communes


def register(subparsers) -> None:
    reports = subparsers.add_parser("reports", help="Printable documents: PCS kit, RETEX.")
    sub = reports.add_subparsers(dest="reports_command", metavar="ACTION", required=True)
    pcs = sub.add_parser("pcs", help="Print the PCS kit (PDF) for the whole territory or some communes.")
    pcs.add_argument("--out", required=True, help="Output PDF path.")
    pcs.add_argument("--commune", action="append", default=[], metavar="INSEE")
    pcs.set_defaults(handler=print_pcs)
    retex = sub.add_parser(
        "retex", help="Print the after-action report (RETEX) of a crisis (PDF, or HTML with .html)."
    )
    retex.add_argument("crisis")
    retex.add_argument("--out", required=True)
    retex.set_defaults(handler=print_retex)


def _write(out: str, body: bytes) -> None:
    path = Path(out)
    if not path.parent.exists():
        raise UserError(
            f"{out}: directory {path.parent} does not exist.", [Problem("no such directory", field="out")]
        )
    path.write_bytes(body)


def print_pcs(args) -> int:
    from beffroi.reports import builders
    from beffroi.reports.pdf import render_pdf

    selected = [c for c in communes() if not args.commune or c.code in args.commune]
    missing = set(args.commune) - {c.code for c in selected}
    if missing or not selected:
        raise UserError(
            "Unknown commune(s): " + (", ".join(sorted(missing)) or "the territory is empty"),
            [Problem("not in the territory", field="commune")],
        )
    context = builders.pcs(selected)
    _write(args.out, render_pdf("reports/pcs.html", context))
    record(SystemActor("cli"), "reports.pcs.print", detail={"version": context["version"], "out": args.out})
    print(f"PCS written to {args.out} (version {context['version']}, {len(selected)} commune(s)).")
    return 0


def print_retex(args) -> int:
    from django.template.loader import render_to_string

    from beffroi.reports import builders
    from beffroi.reports.pdf import render_pdf

    crisis = crisis_by_number(args.crisis)
    context = builders.retex(crisis)
    if args.out.endswith(".html"):
        _write(args.out, render_to_string("reports/retex.html", {**context, "pdf": True}).encode())
    else:
        _write(args.out, render_pdf("reports/retex.html", context))
    record(SystemActor("cli"), "reports.retex.print", crisis, detail={"out": args.out})
    print(f"RETEX of crisis {crisis.pk} written to {args.out} (chain head {context['chain'].short_head}).")
    return 0
