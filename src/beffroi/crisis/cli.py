"""beffroi crisis verify-log|list / beffroi exercise run"""

from __future__ import annotations

from beffroi.core.actors import SystemActor


def register(subparsers) -> None:
    crisis = subparsers.add_parser("crisis", help="Crisis cell: list crises, verify a main courante.")
    sub = crisis.add_subparsers(dest="crisis_command", metavar="ACTION", required=True)
    verify = sub.add_parser(
        "verify-log", help="Verify the hash chain of a crisis's main courante (exit 1 if broken)."
    )
    verify.add_argument("crisis", help="Crisis number.")
    verify.add_argument(
        "--head",
        metavar="HASH@N",
        help="A head kept outside the database (handover sheet, mayor's e-mail): the first N entries "
        "must end with HASH.",
    )
    verify.set_defaults(handler=verify_log)
    anchor = sub.add_parser(
        "anchor", help="Write the chain head down now: recorded, printed as HASH@N, mailed to the mayors."
    )
    anchor.add_argument("crisis", help="Crisis number.")
    anchor.set_defaults(handler=anchor_log)
    listing = sub.add_parser("list", help="List crises and exercises with their chain head.")
    listing.set_defaults(handler=list_crises)

    exercise = subparsers.add_parser("exercise", help="Exercises: replay a scenario on a compressed clock.")
    esub = exercise.add_subparsers(dest="exercise_command", metavar="ACTION", required=True)
    run = esub.add_parser(
        "run", help="Run a scenario (YAML): opens an EXERCICE crisis and plays its injects."
    )
    run.add_argument("scenario", help="Path to the scenario YAML file.")
    run.add_argument(
        "--speed", type=float, default=1.0, help="Clock compression (60: one scenario hour a minute)."
    )
    run.add_argument("--check", action="store_true", help="Only validate the scenario file.")
    run.set_defaults(handler=run_exercise)


def verify_log(args) -> int:
    from beffroi.crisis.chain import parse_head, verify
    from beffroi.crisis.selectors import crisis_by_number

    crisis = crisis_by_number(args.crisis)
    head = parse_head(args.head) if args.head else None
    report = verify(crisis, head=head)
    if report.ok:
        print(f"Main courante of crisis {crisis.pk} ({crisis}): {report.length} entries, chain valid.")
        print(f"Chain head: {report.short_head}  ({report.anchor})")
    else:
        where = f"entry #{report.broken_seq}" + (f" (id {report.broken_id})" if report.broken_id else "")
        print(f"Main courante of crisis {crisis.pk}: BROKEN at {where}: {report.reason}.")
        print(f"Last valid entry: #{report.length}, hash {report.head}")
    for problem in report.attachments:
        print(
            f"Attachment of entry #{problem.seq} (id {problem.entry_id}), file {problem.name}: "
            f"{problem.reason}."
        )
    if head is not None:
        if report.head_matches:
            print(f"Head {head} kept outside the database: reproduced by the first {head.length} entries.")
        elif report.ok:
            print(f"Head {head} kept outside the database: NOT reproduced: {report.head_reason}.")
    return 0 if report.all_ok else 1


def anchor_log(args) -> int:
    from beffroi.crisis.actions import do_anchor
    from beffroi.crisis.selectors import crisis_by_number

    crisis = crisis_by_number(args.crisis)
    anchor = do_anchor(crisis, actor=SystemActor("cli"))
    print(f"Chain head of crisis {crisis.pk}: {anchor.value}")
    sent = ", ".join(anchor.mailed_to) or "nobody (no mayor with an e-mail address)"
    print(f"Mailed to: {sent}. Keep it: verify-log {crisis.pk} --head {anchor.value}")
    return 0


def list_crises(args) -> int:
    from beffroi.crisis.models import Crisis
    from beffroi.crisis.selectors import chain_head

    for crisis in Crisis.objects.order_by("pk"):
        head = chain_head(crisis)
        print(
            f"{crisis.pk:>4}  {crisis.status:<6}  {'EXERCICE ' if crisis.exercise else ''}{crisis.title}  "
            f"[{', '.join(crisis.communes)}]  {head['length']} entries, head {head['short']}"
        )
    return 0


def run_exercise(args) -> int:
    from beffroi.crisis.exercise import run_from_cli

    return run_from_cli(args.scenario, speed=args.speed, check_only=args.check)
