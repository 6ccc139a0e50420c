"""``beffroi registry import|export-prefect|open-export|rotate-key|nominate``."""

from __future__ import annotations

import getpass
import sys
from datetime import date
from pathlib import Path

from django.utils.translation import gettext as _

from beffroi.core.actors import SystemActor
from beffroi.core.errors import Problem, UserError


def register(subparsers) -> None:
    parser = subparsers.add_parser("registry", help="Vulnerable-people registry (encrypted, audited)")
    sub = parser.add_subparsers(dest="registry_command", metavar="ACTION", required=True)

    p = sub.add_parser("import", help="Import a spreadsheet (xlsx/csv) into the registry: all or nothing")
    p.add_argument("file", type=Path)
    p.add_argument("--commune", required=True, help="INSEE code")
    p.add_argument(
        "--mapping",
        action="append",
        default=[],
        metavar="COLUMN=field",
        help="Map a column header to a field, or to 'ignore' (repeatable)",
    )
    p.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="VALUE=category",
        help="Read a category wording as age_65, age_60_unfit or disabled (repeatable), "
        "e.g. '60+=age_60_unfit'",
    )
    p.add_argument("--dry-run", action="store_true", help="Validate and preview, import nothing")
    p.add_argument(
        "--proofs-on-paper",
        action="store_true",
        help="Third-party requests: the written requests are kept in the CCAS paper file",
    )
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("export-prefect", help="Sealed, field-filtered export for the préfet (R121-8)")
    p.add_argument("--commune", required=True)
    p.add_argument(
        "--fields", default="", help="Comma-separated fields (default: identity, address, phone, services)"
    )
    p.add_argument("--reason", required=True, help="Why (e.g. the préfet's request of DATE)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--passphrase-file", type=Path, help="Read the passphrase from this file (else one is generated)"
    )
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("open-export", help="Decrypt a sealed export (BEFFROI-SEALED-1)")
    p.add_argument("file", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--passphrase-file", type=Path)
    p.set_defaults(handler=cmd_open)

    p = sub.add_parser("rotate-key", help="Re-encrypt the registry under the current key (resumable)")
    p.add_argument(
        "--new-key", action="store_true", help="Key file only: first add a fresh key to the existing file"
    )
    p.set_defaults(handler=cmd_rotate)

    p = sub.add_parser("init-key", help="Create the key file of a new, empty registry (never replaces one)")
    p.set_defaults(handler=cmd_init_key)

    p = sub.add_parser("reindex-cells", help="Recompute the counting cells of every record")
    p.set_defaults(handler=cmd_reindex_cells)

    p = sub.add_parser("nominate", help="Record the mayor's nomination of a CCAS agent (R121-7)")
    p.add_argument("--user", required=True)
    p.add_argument("--commune", required=True)
    p.add_argument("--signer", required=True)
    p.add_argument("--decision-date", required=True, help="YYYY-MM-DD")
    p.add_argument("--reference", default="")
    p.add_argument("--scope", choices=["manager", "caller"], default="manager")
    p.set_defaults(handler=cmd_nominate)


def cmd_import(args) -> int:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from beffroi.registry.importer import french_lines, import_file

    if not args.file.exists():
        print(f"beffroi : {args.file} : fichier introuvable.", file=sys.stderr)
        return 2
    from beffroi.registry.models.people import Category
    from beffroi.registry.schema import words

    categories = {}
    for item in args.category:
        value, _sep, category = item.rpartition("=")
        if not _sep or category.strip() not in Category.values:
            print(
                f"beffroi : --category « {item} » : VALEUR=qualité attendu, qualité parmi "
                f"{', '.join(Category.values)}.",
                file=sys.stderr,
            )
            return 2
        categories[words(value)] = category.strip()
    console = Console()
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Chiffrement et import…", total=None)
            report = import_file(
                args.file,
                args.commune,
                actor=SystemActor("cli"),
                mapping=args.mapping,
                categories=categories,
                dry_run=args.dry_run,
                proofs_on_paper=args.proofs_on_paper,
                progress=lambda: progress.advance(task),
            )
    except UserError as exc:
        # In French, naming line, column and value; nothing was written (one transaction).
        print("beffroi : " + "\n".join(french_lines(exc)), file=sys.stderr)
        return 2
    # The terminal's scrollback and logs are not the nominated agent's screen: names stay masked here.
    table = Table(title=f"{'Aperçu (rien importé)' if report.dry_run else 'Import'} — {report.file}")
    for column in ("ligne", "nom", "prénoms", "âge", "origine", "localisée"):
        table.add_column(column)
    for row in report.preview:
        table.add_row(
            str(row["line"]),
            row["nom"],
            row["prénoms"],
            str(row["âge"]),
            row["source"],
            "oui" if row["localisée"] else "non",
        )
    console.print(table)
    console.print(
        "Colonnes importées : " + ", ".join(f"{c.title} → {c.label}" for c in report.column_list if c.target)
    )
    ignored = [c for c in report.column_list if not c.target and c.title]
    if ignored:
        console.print(
            "Colonnes ignorées (jamais enregistrées) : " + "; ".join(f"{c.title} ({c.note})" for c in ignored)
        )
    for title, readings in (("Qualités lues", report.categories), ("Demandeurs lus", report.requesters)):
        if readings:
            console.print(
                f"{title} : "
                + "; ".join(f"« {r.value or '(vide)'} » → {r.meaning} ({len(r.lines)})" for r in readings)
            )
    if report.address_layer:
        console.print(
            f"Adresses localisées : {report.addresses_located}/{report.rows} "
            f"(couche {report.address_layer}); non trouvées lignes {report.addresses_not_found[:20]}"
        )
    else:
        console.print("Pas de couche d'adresses (BAN) dans le catalogue : adresses non vérifiées.")
    verb = "seraient importées" if report.dry_run else "importées"
    console.print(
        f"{report.to_import} personnes {verb} ({', '.join(f'{k}: {v}' for k, v in report.by_source.items())})."  # noqa: E501
    )
    return 0


def _passphrase(path: Path | None, *, confirm_generated: bool) -> tuple[str, bool]:
    if path is not None:
        if not path.exists():
            raise UserError(
                _("%(path)s : fichier introuvable.") % {"path": path},
                [Problem(_("introuvable"), file=str(path))],
            )
        return path.read_text().strip(), False
    if confirm_generated:
        from beffroi.registry.exports import new_passphrase

        return new_passphrase(), True
    return getpass.getpass("Phrase de passe : "), False


def cmd_export(args) -> int:
    from beffroi.registry.exports import do_export_prefect

    passphrase, generated = _passphrase(args.passphrase_file, confirm_generated=True)
    fields = [f.strip() for f in args.fields.split(",") if f.strip()] or None
    _name, sealed = do_export_prefect(
        args.commune, fields=fields, passphrase=passphrase, reason=args.reason, actor=SystemActor("cli")
    )
    args.out.write_bytes(sealed)
    args.out.chmod(0o600)
    print(f"Export chiffré écrit dans {args.out}.")
    if generated:
        print(
            f"Phrase de passe (à transmettre au destinataire par un autre canal, par téléphone) : {passphrase}"  # noqa: E501
        )
    return 0


def cmd_open(args) -> int:
    from beffroi.registry.exports import open_sealed

    if not args.file.is_file():
        raise UserError(
            f"{args.file} : fichier introuvable.", [Problem(_("introuvable"), file=str(args.file))]
        )
    passphrase, _g = _passphrase(args.passphrase_file, confirm_generated=False)
    header, plaintext = open_sealed(args.file.read_bytes(), passphrase, label=str(args.file))
    args.out.write_bytes(plaintext)
    args.out.chmod(0o600)
    print(f"{header['filename']} déchiffré dans {args.out}.", file=sys.stderr)
    return 0


def cmd_rotate(args) -> int:
    from beffroi.registry import crypto
    from beffroi.registry.actions import do_rotate_key

    ring = crypto.load_keyring()
    if ring.origin == "env" and len(ring.keys) == 1:
        print(
            "BEFFROI_REGISTRY_KEY holds one key. To rotate: put a new key first, keep the old one after a comma, "  # noqa: E501
            "run this command, then remove the old key. New key:\n  " + crypto.generate_key(),
            file=sys.stderr,
        )
    result = do_rotate_key(new_file_key=args.new_key, actor=SystemActor("cli"))
    print(f"Clé courante {result['key_id']} ; {result['re_encrypted']} inscriptions rechiffrées.")
    skipped = result["unknown_key"]
    if skipped:
        print(
            f"{len(skipped)} inscription(s) sous une clé inconnue, laissées telles quelles : "
            f"{', '.join(skipped)}. Remettez leur clé (après la clé courante) et relancez la commande.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_init_key(args) -> int:
    from beffroi.registry import crypto

    if crypto.load_keyring_configured_by_env():
        ring = crypto.keyring()
        print(f"Clé fournie par BEFFROI_REGISTRY_KEY ({ring.current_id}) : aucun fichier à créer.")
        return 0
    ring = crypto.init_key_file()
    print(
        f"Fichier de clés créé : {crypto.key_file()} (clé {ring.current_id}, mode 0600). "
        "Sauvegardez-le à part de la base de données et de ses sauvegardes."
    )
    return 0


def cmd_reindex_cells(args) -> int:
    from beffroi.registry.actions import do_reindex_cells

    result = do_reindex_cells(actor=SystemActor("cli"))
    print(f"Mailles de comptage recalculées : {result['changed']} inscription(s) modifiée(s).")
    return 0


def cmd_nominate(args) -> int:
    from django.contrib.auth import get_user_model

    from beffroi.registry.actions import do_nominate

    user = get_user_model().objects.filter(username=args.user).first()
    if user is None:
        raise UserError(
            _("Aucun compte %(user)s.") % {"user": repr(args.user)},
            [Problem(_("compte inconnu"), field="user")],
        )
    try:
        decision = date.fromisoformat(args.decision_date)
    except ValueError:
        raise UserError(
            _("--decision-date doit être au format AAAA-MM-JJ."),
            [Problem(_("date invalide"), field="decision-date")],
        ) from None
    do_nominate(
        user,
        args.commune,
        decision_date=decision,
        signer=args.signer,
        scope=args.scope,
        decision_reference=args.reference,
        actor=SystemActor("cli"),
    )
    print(f"{args.user} nommé(e) au registre de {args.commune} ({args.scope}).")
    return 0
