"""beffroi public build-site"""

from __future__ import annotations


def register(subparsers) -> None:
    public = subparsers.add_parser("public", help="The static public site for citizens.")
    sub = public.add_subparsers(dest="public_command", metavar="ACTION", required=True)
    site = sub.add_parser("build-site", help="Rewrite the static public site.")
    site.set_defaults(handler=site_cmd)


def site_cmd(args) -> int:
    from beffroi.public.site import build_site

    print(build_site())
    return 0
