"""beffroi sources import|list|show|add|run|layers build"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.table import Table

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError


def register(subparsers) -> None:
    sources = subparsers.add_parser("sources", help="Public data: datasets, live sources, file imports.")
    sub = sources.add_subparsers(dest="sources_command", metavar="ACTION", required=True)

    imp = sub.add_parser(
        "import", help="Import a CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile as a dataset."
    )
    imp.add_argument("path")
    imp.add_argument("--dataset", required=True, help="dataset name (lower-case letters, digits, - and _)")
    imp.add_argument(
        "--schema", help="Table Schema (JSON) to validate against, e.g. from schema.data.gouv.fr"
    )
    imp.add_argument("--replace", action="store_true", help="replace an existing dataset of that name")
    imp.add_argument(
        "--repair",
        action="store_true",
        help="repair invalid geometries and close unclosed rings instead of refusing them",
    )
    imp.add_argument("--title", default="")
    imp.add_argument("--licence", default="")
    imp.set_defaults(handler=import_command)

    lst = sub.add_parser("list", help="List datasets and live sources with their freshness.")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=list_command)

    show = sub.add_parser("show", help="Show a dataset or a source: provenance, schema, runs.")
    show.add_argument("name")
    show.set_defaults(handler=show_command)

    add = sub.add_parser(
        "add", help="Configure a live source (see the kinds with: beffroi sources add --help)."
    )
    add.add_argument(
        "kind",
        help="hubeau, hubeau-stations, vigicrues, vigicrues-sections, datagouv, opendatasoft, georisques, "
        "meteoalarm, meteofrance, atmo, airparif, idfm",
    )
    add.add_argument("--name", required=True)
    add.add_argument("--period", type=int, help="polling period in seconds")
    add.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="connector option (repeatable)",
    )
    add.add_argument("--replace", action="store_true")
    add.set_defaults(handler=add_command)

    run = sub.add_parser("run", help="Run a live source now (or all of them).")
    run.add_argument("name", nargs="?")
    run.add_argument("--all", action="store_true")
    run.add_argument("--dry-run", action="store_true", help="fetch and parse, store nothing")
    run.set_defaults(handler=run_command)

    layers = sub.add_parser(
        "layers", help="Territory layers (residents, addresses, facilities) from the official files."
    )
    layers_sub = layers.add_subparsers(dest="layers_command", metavar="ACTION", required=True)
    build = layers_sub.add_parser(
        "build",
        help="Build iris-population, addresses and facilities for the given communes (docs/crossing.md).",
        description="Offline (--from FOLDER) the files are looked up under their official names: "
        "base-ic-evol-struct-pop-<year>.csv|_csv.zip (INSEE), CONTOURS-IRIS*.gpkg|contours-iris*.geojson "
        "(IGN), adresses-<dep>.csv[.gz] (BAN), bpe*.csv|zip (INSEE BPE), etalab-cs1100507-stock-*.csv "
        "(FINESS). Online (no --from) they are downloaded, except the IRIS contours (--contours).",
    )
    build.add_argument("communes", nargs="+", help="INSEE commune codes, e.g. 92063 94052")
    build.add_argument("--from", dest="folder", help="folder holding the downloaded official files")
    build.add_argument("--only", help="comma-separated layers: residents,addresses,facilities")
    build.add_argument("--contours", help="IRIS contours file (GeoPackage, GeoJSON or zipped Shapefile)")
    build.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="KEY=URL",
        help="download KEY (population, ban, bpe, finess) from URL instead of the official address",
    )
    build.set_defaults(handler=layers_build_command)


def import_command(args) -> int:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from beffroi.sources.imports import import_file

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
    ) as progress:
        progress.add_task(f"Import de {args.path}…", total=None)
        dataset, staged = import_file(
            args.path,
            args.dataset,
            schema_path=args.schema,
            replace=args.replace,
            repair=args.repair,
            title=args.title,
            licence=args.licence,
            actor=SystemActor("cli"),
        )
    detected = [staged.format]
    if staged.encoding:
        detected.append(
            _("encodage %(encoding)s, séparateur « %(separator)s »")
            % {"encoding": staged.encoding, "separator": staged.separator}
        )
    detected.extend(staged.notes)
    print(
        ngettext(
            "%(name)s : %(n)s ligne importée depuis %(label)s (%(detected)s)",
            "%(name)s : %(n)s lignes importées depuis %(label)s (%(detected)s)",
            dataset.row_count,
        )
        % {
            "name": dataset.name,
            "n": dataset.row_count,
            "label": staged.label,
            "detected": " ; ".join(detected),
        }
    )
    for name, typ in staged.types.items():
        print(f"  {name}: {typ}")
    return 0


def list_command(args) -> int:
    from beffroi.sources import selectors

    datasets, sources = selectors.datasets(), selectors.sources()
    if args.json:
        print(
            json.dumps(
                {
                    "datasets": [
                        {
                            "name": d.name,
                            "title": d.title,
                            "origin": d.origin,
                            "licence": d.licence,
                            "rows": d.row_count,
                            "updated_at": d.updated_at.isoformat(),
                            "freshness": d.freshness,
                            "synthetic": d.synthetic,
                        }
                        for d in datasets
                    ],
                    "sources": [
                        {
                            "name": s.name,
                            "kind": s.kind,
                            "origin": s.origin,
                            "freshness": s.freshness,
                            "last_success_at": s.last_success_at.isoformat() if s.last_success_at else None,
                            "last_error": s.last_error,
                            "period_seconds": s.period_seconds,
                        }
                        for s in sources
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    console = Console()
    t = Table(title="Jeux de données")
    for c in ("nom", "titre", "origine", "licence", "lignes", "mis à jour", "état"):
        t.add_column(c)
    for d in datasets:
        t.add_row(
            d.name,
            d.title,
            d.origin,
            d.licence,
            str(d.row_count),
            f"{d.updated_at:%Y-%m-%d %H:%M}",
            d.freshness,
        )
    console.print(t)
    t = Table(title="Sources en direct")
    for c in ("nom", "type", "origine", "période", "dernier succès", "état", "dernière erreur"):
        t.add_column(c)
    for s in sources:
        t.add_row(
            s.name,
            s.kind,
            s.origin,
            f"{s.period_seconds}s",
            f"{s.last_success_at:%Y-%m-%d %H:%M}" if s.last_success_at else "jamais",
            s.freshness,
            s.last_error[:80],
        )
    console.print(t)
    return 0


def show_command(args) -> int:
    from beffroi.sources import selectors

    d = selectors.dataset(args.name)
    s = selectors.source(args.name)
    if d is None and s is None:
        raise UserError(
            _("Aucun jeu de données ni source nommé %(name)r (voir : beffroi sources list).")
            % {"name": args.name}
        )
    if d is not None:
        print(f"Dataset {d.name} — {d.title}")
        print(f"  origin: {d.origin}\n  licence: {d.licence or '?'}\n  rows: {d.row_count}")
        print(f"  updated: {d.updated_at.isoformat()}  freshness: {d.freshness}  synthetic: {d.synthetic}")
        print(f"  raw payload sha256: {d.raw_sha256 or '-'}\n  file: {d.parquet_file}")
        _print_provenance(d)
        print("  columns:")
        for c in d.columns:
            print(
                f"    {c['name']}: {c['type']}{'  (geometry, WKB EPSG:4326)' if c['name'] == d.geometry_column else ''}"  # noqa: E501
            )
    if s is not None:
        print(f"Source {s.name} ({s.kind}) — {s.title}")
        print(
            f"  origin: {s.origin}\n  licence: {s.licence}\n  period: {s.period_seconds}s  enabled: {s.enabled}"  # noqa: E501
        )
        print(
            f"  freshness: {s.freshness}  last success: {s.last_success_at}  last error: {s.last_error or '-'}"  # noqa: E501
        )
        print(f"  config: {json.dumps(s.config, ensure_ascii=False)}")
        for r in selectors.recent_runs(s, 10):
            print(f"  run {r.started_at:%Y-%m-%d %H:%M:%S} {r.status} rows={r.rows} {r.error[:100]}")
    return 0


def _options(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise UserError(_("L'option %(option)r n'est pas de la forme CLÉ=VALEUR.") % {"option": pair})
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def add_command(args) -> int:
    from beffroi.sources.actions import do_add_source

    src = do_add_source(
        args.name,
        args.kind,
        config=_options(args.option),
        period_seconds=args.period,
        replace=args.replace,
        actor=SystemActor("cli"),
    )
    print(f"Source {src.name} ({src.kind}) configured: {src.origin}, every {src.period_seconds}s.")
    return 0


def run_command(args) -> int:
    from beffroi.sources import selectors
    from beffroi.sources.runner import run_source

    if args.all:
        targets = [s for s in selectors.sources() if s.enabled]
    elif args.name:
        src = selectors.source(args.name)
        if src is None:
            raise UserError(
                _("Aucune source nommée %(name)r (voir : beffroi sources list).") % {"name": args.name}
            )
        targets = [src]
    else:
        raise UserError(_("Donnez le nom d'une source ou --all."))
    failures = 0
    for src in targets:
        run = run_source(src, actor=SystemActor("cli"), dry_run=args.dry_run)
        print(f"{src.name}: {run.status} rows={run.rows}{' — ' + run.error if run.error else ''}")
        failures += run.status == "failed"
    return 1 if failures and len(targets) == 1 else 0


def _print_provenance(d) -> None:
    from beffroi.sources import storage
    from beffroi.sources.territory_layers import provenance

    prov = provenance(storage.absolute(d.parquet_file))
    if not prov:
        return
    print(f"  build: {prov['build_id']} at {prov['built_at']} for {', '.join(prov['communes'])}")
    for f in prov["files"]:
        print(
            f"    {f['role']}: {f['name']} ({f['producer']}, {f['vintage']}, {f['licence']})\n"
            f"      origin: {f['origin']}\n      sha256: {f['sha256']}"
        )
    for note in prov.get("notes", []):
        print(f"    note: {note}")


def layers_build_command(args) -> int:
    from beffroi.sources.territory_layers import build, parse_only

    report = build(
        args.communes,
        folder=args.folder,
        only=parse_only(args.only),
        urls=_options(args.url),
        contours=args.contours,
        actor=SystemActor("cli"),
    )
    print(f"Build {report.build_id} for {', '.join(report.communes)}:")
    for name, rows in report.datasets.items():
        print(f"  {name}: {rows} rows")
    for f in report.files:
        print(f"  from {f.name} ({f.vintage}) sha256 {f.sha256[:16]}… {f.origin}")
    for note in report.notes:
        print(f"  note: {note}")
    return 0
