"""Catalogue pages: datasets and live sources with freshness, details, upload with preview."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.core.errors import UserError
from beffroi.core.maps import map_config
from beffroi.core.permissions import has_perm, require
from beffroi.sources import actions, scoping, selectors, storage
from beffroi.sources.connectors import get_connector_class
from beffroi.sources.exports import iter_dataset_csv
from beffroi.sources.forms import UploadForm
from beffroi.sources.imports import Staged, adopt, stage_file
from beffroi.sources.imports.limits import limits

SESSION_KEY = "sources_staged"


def index(request: HttpRequest) -> HttpResponse:
    require(request.user, "sources.view_dataset")
    can_import = has_perm(request.user, "sources.import_dataset")
    return render(
        request,
        "sources/index.html",
        {
            "datasets": scoping.visible(selectors.datasets(), request.user),
            "sources": selectors.sources(),
            "form": UploadForm() if can_import else None,
            "can_manage": has_perm(request.user, "sources.manage_sources"),
        },
    )


def _visible_dataset(request: HttpRequest, name: str):
    require(request.user, "sources.view_dataset")
    dataset = selectors.dataset(name)
    if dataset is None or not scoping.can_see(dataset, request.user):
        raise Http404  # another commune's dataset: not even its name is confirmed
    return dataset


def dataset_detail(request: HttpRequest, name: str) -> HttpResponse:
    dataset = _visible_dataset(request, name)
    cut = scoping.row_filter(dataset, request.user)
    if request.method == "POST":
        dataset = actions.do_set_territory_wide(
            dataset, request.POST.get("territory_wide") == "1", actor=request.user
        )
        messages.success(request, _("Diffusion du jeu de données enregistrée."))
        return redirect("sources:dataset", name=dataset.name)
    names, rows = selectors.preview(dataset, 20, row_filter=cut)
    return render(
        request,
        "sources/dataset.html",
        {
            "dataset": dataset,
            "names": names,
            "rows": rows,
            "cut": cut is not None,
            "can_mark": has_perm(request.user, "sources.mark_territory_wide"),
        },
    )


def dataset_export(request: HttpRequest, name: str) -> StreamingHttpResponse:
    dataset = _visible_dataset(request, name)
    response = StreamingHttpResponse(
        iter_dataset_csv(
            storage.absolute(dataset.parquet_file),
            geometry_column=dataset.geometry_column or None,
            row_filter=scoping.row_filter(dataset, request.user),
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{dataset.name}.csv"'
    return response


def source_detail(request: HttpRequest, name: str) -> HttpResponse:
    require(request.user, "sources.view_source")
    src = selectors.source(name)
    if src is None:
        raise Http404
    return render(
        request,
        "sources/source.html",
        {
            "source": src,
            "runs": selectors.recent_runs(src, 20),
            "dataset": selectors.dataset(src.name),
            "can_manage": has_perm(request.user, "sources.manage_sources"),
            **_missing_keys(src),
        },
    )


def _missing_keys(src) -> dict:
    """The keys a keyed source lacks, to say so before its runs fail, with the address where to
    get them."""
    try:
        cls = get_connector_class(src.kind)
    except UserError:  # a kind no longer installed: its runs say it
        return {}
    missing = [env for env in cls.key_env if not settings.SOURCE_API_KEYS.get(env)]
    found = re.search(r"https?://[^\s)]+", str(cls.key_help or ""))
    return {"missing_keys": missing, "key_signup": found.group(0).rstrip(".,") if found else ""}


@require_POST
def run_now(request: HttpRequest, name: str) -> HttpResponse:
    require(request.user, "sources.manage_sources")
    src = selectors.source(name)
    if src is None:
        raise Http404
    run = actions.do_run_source(src, actor=request.user)
    if run.status == "ok":
        messages.success(request, _("Source exécutée : %(rows)s lignes.") % {"rows": run.rows})
    else:
        # A warning, not an error: the request was right, the source failed (the page says why).
        messages.warning(request, _("Échec de la source : %(error)s") % {"error": run.error})
    return redirect("sources:source", name=name)


def upload(request: HttpRequest) -> HttpResponse:
    require(request.user, "sources.import_dataset")
    if request.method != "POST":
        return redirect("sources:index")
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Formulaire incomplet : %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("sources:index")
    upload_file = form.cleaned_data["file"]
    label = Path(upload_file.name).name
    if upload_file.size > limits().max_bytes:
        messages.error(
            request,
            _("%(file)s : fichier trop volumineux (limite %(limit)s octets).")
            % {"file": label, "limit": limits().max_bytes},
        )
        return redirect("sources:index")
    tmp = storage.staging_path(Path(label).suffix.lower() or ".bin")
    try:
        with open(tmp, "wb") as fh:
            for chunk in upload_file.chunks():
                fh.write(chunk)
        staged = stage_file(tmp, label=label, repair=form.cleaned_data["repair"])
    except UserError as exc:
        return render(request, "sources/import_error.html", {"error": exc, "label": label}, status=400)
    finally:
        tmp.unlink(missing_ok=True)
    token = secrets.token_urlsafe(16)
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {
        "path": str(staged.path),
        "label": label,
        "format": staged.format,
        "rows": staged.rows,
        "types": staged.types,
        "raw_sha256": staged.raw_sha256,
        "geometry_column": staged.geometry_column,
        "encoding": staged.encoding,
        "separator": staged.separator,
        "notes": staged.notes,
        "geometry_from": staged.geometry_from,
        "dataset": form.cleaned_data["dataset"],
        "title": form.cleaned_data["title"],
        "licence": form.cleaned_data["licence"],
        "replace": form.cleaned_data["replace"],
    }
    request.session[SESSION_KEY] = pending
    return redirect("sources:confirm", token=token)


def _pending(request, token) -> tuple[dict, Staged]:
    info = request.session.get(SESSION_KEY, {}).get(token)
    if not info or not Path(info["path"]).is_file():
        raise Http404
    staged = Staged(
        path=Path(info["path"]),
        label=info["label"],
        format=info["format"],
        rows=info["rows"],
        types=info["types"],
        raw_sha256=info["raw_sha256"],
        geometry_column=info["geometry_column"],
        encoding=info["encoding"],
        separator=info["separator"],
        notes=info["notes"],
        geometry_from=info.get("geometry_from"),
    )
    return info, staged


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    require(request.user, "sources.import_dataset")
    info, staged = _pending(request, token)
    if request.method == "POST":
        pending = request.session.get(SESSION_KEY, {})
        pending.pop(token, None)
        request.session[SESSION_KEY] = pending
        if request.POST.get("action") != "confirm":
            staged.discard()
            messages.info(request, _("Import annulé ; rien n'a été enregistré."))
            return redirect("sources:index")
        try:
            dataset = adopt(
                staged,
                info["dataset"],
                replace=info["replace"],
                title=info["title"],
                licence=info["licence"],
                origin=f"file:{info['label']}",
                actor=request.user,
            )
        except UserError as exc:
            messages.error(request, str(exc).replace("\n", " "))
            return redirect("sources:index")
        messages.success(
            request,
            _("%(rows)s lignes importées dans %(name)s.") % {"rows": dataset.row_count, "name": dataset.name},
        )
        return redirect("sources:dataset", name=dataset.name)
    names, rows = staged.preview(10)
    return render(
        request, "sources/confirm.html", {"info": info, "names": names, "rows": rows, "token": token}
    )


# --- Adding a source, with the Vigicrues station picker -----------------------------------------

# Options holding Sandre station codes: the picker searches the Vigicrues catalogue for them.
STATION_OPTIONS = {("vigicrues-hydro", "stations"), ("hubeau", "stations")}


def _option_texts() -> dict[str, tuple[str, str]]:
    """French label and help of the common options (the connectors document them in English for the
    command line); another option shows its name and the connector's help."""
    return {
        "stations": (
            _("Stations"),
            _("codes Sandre des stations, séparés par des virgules (ex. F664000104)"),
        ),
        "grandeurs": (_("Grandeurs"), _("H (hauteurs), Q (débits) ou H,Q")),
        "forecasts": (
            _("Prévisions"),
            _("true (par défaut) pour lire aussi les prévisions publiées, false sinon"),
        ),
        "territories": (
            _("Territoires"),
            _("codes des territoires Vigicrues (SPC), séparés par des virgules (ex. 7)"),
        ),
        "sections": (
            _("Tronçons"),
            _("codes des tronçons Vigicrues, séparés par des virgules (ex. IF5,IF17)"),
        ),
        "departments": (_("Départements"), _("codes des départements, séparés par des virgules (ex. 92,94)")),
        "communes": (_("Communes"), _("codes INSEE des communes, séparés par des virgules")),
        "max_stations": (_("Stations au plus"), _("arrêt de sécurité (400 par défaut)")),
    }


def source_new(request: HttpRequest) -> HttpResponse:
    """Choose a kind, then fill its options (one field each); ``do_add_source`` checks them all."""
    require(request.user, "sources.manage_sources")
    from beffroi.sources.connectors.base import registry

    kinds = registry()
    kind = request.POST.get("kind") or request.GET.get("kind") or ""
    cls = kinds.get(kind)
    if cls is None:
        choices = sorted(((k, str(c.title)) for k, c in kinds.items()), key=lambda kc: kc[1])
        # A POST naming no known kind is refused (400) with the list to choose from.
        refused = request.method == "POST"
        return render(
            request,
            "sources/source_new.html",
            {"choices": choices, "kind": None, "kind_error": _("Type de source inconnu : choisissez-en un.")}
            if refused
            else {"choices": choices, "kind": None},
            status=400 if refused else 200,
        )
    values = {name: request.POST.get(f"opt_{name}", "").strip() for name in cls.options}
    name = request.POST.get("name", "").strip()
    title = request.POST.get("title", "").strip()
    problems, status = [], 200
    if request.method == "POST":
        try:
            src = actions.do_add_source(
                name, kind, config={k: v for k, v in values.items() if v}, title=title, actor=request.user
            )
        except UserError as exc:
            problems, status = exc.problems or [], 400
            error = str(exc).splitlines()[0]
        else:
            messages.success(request, _("Source « %(name)s » ajoutée.") % {"name": src.name})
            return redirect("sources:source", name=src.name)
    texts = _option_texts()
    fields = [
        {
            "name": opt,
            "label": texts.get(opt, (opt, ""))[0],
            "help": texts.get(opt, ("", help_text))[1],
            "value": values.get(opt, ""),
            "required": opt in cls.required,
            "picker": (kind, opt) in STATION_OPTIONS,
            "errors": [p.message for p in problems if p.field == opt],
        }
        for opt, help_text in cls.options.items()
    ]
    return render(
        request,
        "sources/source_new.html",
        {
            "kind": kind,
            "kind_title": str(cls.title),
            "kind_licence": cls.licence,
            "fields": fields,
            "name": name,
            "title": title,
            "error": error if status == 400 else "",
            "name_errors": [p.message for p in problems if p.field in ("name", "kind")],
            "other_errors": [p for p in problems if p.field not in set(cls.options) | {"name", "kind"}],
            "picker_map": map_config(),
            "picker_strings": {
                "added": _("Station {label} ({code}) ajoutée."),
                "commune": _("commune {name}"),
                "section": _("tronçon {code} « {label} »"),
                "near": _("à {km} km"),
                "forecast": _("avec prévisions"),
                "found": _("{n} station(s) trouvée(s)"),
                "none": _("Aucune station trouvée dans le catalogue Vigicrues."),
                "failed": _("Recherche impossible pour le moment."),
                "pick": _("Choisir cette station"),
            },
        },
        status=status,
    )


def vigicrues_stations(request: HttpRequest) -> JsonResponse:
    """Stations of the Vigicrues catalogue matching ``q`` (station, commune, river), for the picker."""
    require(request.user, "sources.view_dataset")
    query = request.GET.get("q", "")[:80]
    if len(query.strip()) < 2:
        return JsonResponse({"error": _("Tapez au moins deux lettres."), "stations": []}, status=400)
    from beffroi.sources.stations import search_stations

    return JsonResponse({"stations": search_stations(query, communes=_territory_communes())})


def _territory_communes() -> dict[str, tuple[str, tuple[float, float] | None]]:
    import shapely
    from shapely.geometry import shape

    from beffroi.territory.selectors import communes

    out: dict[str, tuple[str, tuple[float, float] | None]] = {}
    for commune in communes():
        centre = None
        try:
            point = shape(commune.boundary).centroid
            centre = (point.x, point.y) if not point.is_empty else None
        except (shapely.errors.ShapelyError, TypeError, ValueError, KeyError, AttributeError):
            centre = None
        out[commune.code] = (commune.name, centre)
    return out
