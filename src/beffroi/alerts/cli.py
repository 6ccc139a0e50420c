"""beffroi alerts dispatch|list|reach|fralert|verify-cap"""

from __future__ import annotations

import json
import time

from django.utils.translation import gettext as _

from beffroi.core.errors import Problem, UserError


def register(subparsers) -> None:
    alerts = subparsers.add_parser("alerts", help="Citizen alerts: dispatch the outbox, reach, CAP checks.")
    sub = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    dispatch = sub.add_parser("dispatch", help="Send pending outbox messages (once, or --loop).")
    dispatch.add_argument(
        "--loop", action="store_true", help="Keep running, polling every --interval seconds."
    )
    dispatch.add_argument("--interval", type=float, default=2.0)
    dispatch.add_argument("--worker", default=None, help="Worker name (default: random).")
    dispatch.set_defaults(handler=dispatch_cmd)
    listing = sub.add_parser("list", help="List alerts with their latest message.")
    listing.set_defaults(handler=list_cmd)
    reach = sub.add_parser("reach", help="Reach report of an alert (JSON).")
    reach.add_argument("alert")
    reach.set_defaults(handler=reach_cmd)
    fr = sub.add_parser("fralert", help="Print the FR-Alert request text for the préfecture.")
    fr.add_argument("alert")
    fr.set_defaults(handler=fralert_cmd)
    verify = sub.add_parser(
        "verify-cap", help="Validate a CAP file against the XSD (and a pinned certificate)."
    )
    verify.add_argument("file")
    verify.add_argument("--cert", action="append", default=[], help="Pinned PEM certificate (repeatable).")
    verify.set_defaults(handler=verify_cmd)


def _alert(value: str):
    from beffroi.alerts.models import Alert

    alert = Alert.objects.filter(pk=int(value)).first() if str(value).isdigit() else None
    if alert is None:
        raise UserError(
            _("Aucune alerte numéro %(value)s.") % {"value": repr(value)},
            [Problem(_("alerte inconnue"), field="alert")],
        )
    return alert


def dispatch_cmd(args) -> int:
    from beffroi.alerts.outbox import dispatch_all

    while True:
        totals = dispatch_all(args.worker)
        if not args.loop:
            print(json.dumps(totals))
            return 0
        time.sleep(args.interval if not any(totals.values()) else 0)


def list_cmd(args) -> int:
    from beffroi.alerts.models import Alert

    for alert in Alert.objects.all():
        latest = alert.latest()
        print(
            f"{alert.pk}\t{alert.status}\t{alert.hazard}\t{latest.msg_type if latest else ''}\t"
            f"{latest.state if latest else ''}\t{latest.text('fr').get('headline', '') if latest else ''}"
        )
    return 0


def reach_cmd(args) -> int:
    from beffroi.alerts.selectors import reach_report

    print(json.dumps(reach_report(_alert(args.alert)), indent=2, ensure_ascii=False, default=str))
    return 0


def fralert_cmd(args) -> int:
    from beffroi.alerts.fralert import request_text

    latest = _alert(args.alert).latest()
    print(request_text(latest))
    return 0


def verify_cmd(args) -> int:
    from pathlib import Path

    from beffroi.alerts import cap

    path = Path(args.file)
    if not path.is_file():
        raise UserError(
            _("%(path)s : fichier introuvable") % {"path": path},
            [Problem(_("fichier introuvable"), file=str(path))],
        )
    data = path.read_bytes()
    try:
        errors = cap.validate(data)
    except Exception as exc:
        raise UserError(
            _("%(path)s : pas du XML (%(exc)s)") % {"path": path, "exc": exc},
            [Problem(str(exc), file=str(path))],
        ) from None
    if errors:
        raise UserError(
            _("%(path)s : CAP 1.2 invalide") % {"path": path}, [Problem(e, file=str(path)) for e in errors]
        )
    if args.cert:
        try:
            cap.verify(data, [Path(c).read_bytes() for c in args.cert])
        except cap.SignatureError as exc:
            raise UserError(
                f"{path}: {exc}", [Problem(str(exc), file=str(path), field="Signature")]
            ) from None
    print(f"{path}: valid CAP 1.2" + (", signature by a pinned certificate" if args.cert else ""))
    return 0
