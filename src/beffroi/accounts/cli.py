"""beffroi users … / beffroi tokens …"""

from __future__ import annotations

import getpass
import os

from django.utils.translation import gettext as _

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError


def register(subparsers) -> None:
    users = subparsers.add_parser("users", help="Manage user accounts.")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    create = users_sub.add_parser("create", help="Create a user with a role in one or more communes.")
    create.add_argument("username")
    create.add_argument(
        "--role",
        required=True,
        help="maire, cellule_crise, communication, agent_ccas, lecteur, administrateur",
    )
    create.add_argument(
        "--commune", action="append", default=[], metavar="INSEE", help="Commune code (repeatable)."
    )
    create.add_argument("--email", default="")
    create.add_argument(
        "--password-env",
        metavar="VAR",
        help="Read the password from this environment variable instead of prompting.",
    )
    create.set_defaults(handler=create_user)

    tokens = subparsers.add_parser("tokens", help="API tokens for systems pushing data.")
    tokens_sub = tokens.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    tcreate = tokens_sub.add_parser("create", help="Create a token for a user; printed once.")
    tcreate.add_argument("--user", required=True)
    tcreate.add_argument("--name", default="cli")
    tcreate.add_argument("--days", type=int, default=365, help="Validity in days (0: no expiry).")
    tcreate.set_defaults(handler=create_token)


def create_user(args) -> int:
    from beffroi.accounts.actions import do_create_user

    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise UserError(
                _("La variable d'environnement %(env)s est vide ou absente.") % {"env": args.password_env}
            )
    else:
        password = getpass.getpass("Mot de passe : ")
    user = do_create_user(
        args.username,
        role=args.role,
        communes=args.commune,
        password=password,
        email=args.email,
        actor=SystemActor("cli"),
    )
    print(f"User {user.username} created ({args.role}; communes: {', '.join(args.commune) or 'all'}).")
    return 0


def create_token(args) -> int:
    from django.contrib.auth import get_user_model

    from beffroi.accounts.actions import do_create_token

    user = get_user_model().objects.filter(username=args.user).first()
    if user is None:
        raise UserError(_("Aucun compte nommé %(user)s.") % {"user": repr(args.user)})
    raw = do_create_token(user, args.name, actor=SystemActor("cli"), days=args.days or None)
    print(raw)
    return 0
