"""Catalogue pages: datasets and live sources with freshness, details, upload with preview."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.core.errors import UserError
from beffroi.core.permissions import has_perm, require
from beffroi.sources import actions, scoping, selectors, storage
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
        },
    )


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
        messages.error(request, _("Échec de la source : %(error)s") % {"error": run.error})
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
