"""Crisis cell pages. One template per page; htmx requests get its named partials."""

from __future__ import annotations

import csv
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.accounts.roles import explain_refusal, is_permission_name
from beffroi.core.audit import record
from beffroi.core.errors import UserError
from beffroi.core.maps import map_config
from beffroi.core.permissions import has_perm, require, user_communes
from beffroi.core.spreadsheet import neutralise_row
from beffroi.crisis import actions, selectors
from beffroi.crisis.chain import attachment_problem
from beffroi.crisis.forms import (
    AssignTaskForm,
    CloseForm,
    EntryForm,
    EscalateForm,
    HandoverForm,
    OpenCrisisForm,
    StaffingForm,
    TaskForm,
)
from beffroi.crisis.models import Staffing
from beffroi.territory.selectors import boundaries_feature_collection, communes, communes_for_user

log = logging.getLogger(__name__)


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _error(request: HttpRequest, exc: UserError) -> None:
    messages.error(request, str(exc).replace("\n", " "))


def index(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.view_crisis")
    crises = selectors.crises_for_user(request.user)
    can_open = has_perm(request.user, "crisis.open_crisis") or has_perm(request.user, "crisis.run_exercise")
    can_open_real = has_perm(request.user, "crisis.open_crisis")
    form = (
        OpenCrisisForm(communes=communes_for_user(request.user), initial={"exercise": not can_open_real})
        if can_open
        else None
    )
    return render(
        request,
        "crisis/index.html",
        {
            "active": [c for c in crises if c.is_open],
            "closed": [c for c in crises if not c.is_open][:50],
            "form": form,
            "can_open_real": can_open_real,
        },
    )


def open_crisis(request: HttpRequest) -> HttpResponse:
    """GET: the open form, prefilled from the query (the link mailed with an open request).
    POST: open; a refusal re-renders the form with what was typed and says who may open."""
    require(request.user, "crisis.view_crisis")
    user_communes_list = communes_for_user(request.user)
    if request.method == "POST":
        form = OpenCrisisForm(request.POST, communes=user_communes_list)
        if form.is_valid():
            try:
                crisis = actions.do_open_crisis(actor=request.user, **form.cleaned_data)
            except PermissionDenied as exc:
                return _open_page(request, form, refusal=_refusal(request, exc), status=403)
            except UserError as exc:
                return _open_page(request, form, error=str(exc), status=400)
            return redirect("crisis:detail", pk=crisis.pk)
        return _open_page(request, form, status=400)
    initial = {
        "title": request.GET.get("title", ""),
        "hazard": request.GET.get("hazard", ""),
        "level": request.GET.get("level", 3),
        "communes": request.GET.getlist("communes"),
        "exercise": request.GET.get("exercise") == "1" or not has_perm(request.user, "crisis.open_crisis"),
    }
    return _open_page(request, OpenCrisisForm(communes=user_communes_list, initial=initial))


def _open_page(request: HttpRequest, form, *, refusal: str = "", error: str = "", status: int = 200):
    can_open_real = has_perm(request.user, "crisis.open_crisis")
    return render(
        request,
        "crisis/open.html",
        {
            "form": form,
            "refusal": refusal,
            "error": error,
            "can_open_real": can_open_real,
            "can_request": not can_open_real and has_perm(request.user, "crisis.add_logentry"),
        },
        status=status,
    )


def _refusal(request: HttpRequest, exc: PermissionDenied) -> str:
    perm = str(exc.args[0]) if exc.args else ""
    if is_permission_name(perm):
        return explain_refusal(request.user, perm).text
    return _("Refusé : votre rôle ou vos communes ne le permettent pas.")


@require_POST
def request_open(request: HttpRequest) -> HttpResponse:
    """A crisis-cell member asks the mayor(s) to open the crisis typed in the open form."""
    form = OpenCrisisForm(request.POST, communes=communes_for_user(request.user))
    if not form.is_valid():
        return _open_page(request, form, status=400)
    data = form.cleaned_data
    query = urlencode(
        [("title", data["title"]), ("hazard", data["hazard"]), ("level", data["level"])]
        + [("communes", c) for c in data["communes"]]
    )
    try:
        mailed = actions.do_request_open_crisis(
            hazard=data["hazard"],
            communes=data["communes"],
            level=data["level"],
            title=data["title"],
            note=request.POST.get("note", ""),
            open_url=request.build_absolute_uri(reverse("crisis:open")) + "?" + query,
            actor=request.user,
        )
    except PermissionDenied as exc:
        return _open_page(request, form, refusal=_refusal(request, exc), status=403)
    except UserError as exc:
        return _open_page(request, form, error=str(exc), status=400)
    if mailed:
        messages.success(
            request,
            _("Demande envoyée au maire (%(to)s) : il reçoit le formulaire prérempli.")
            % {"to": ", ".join(mailed)},
        )
    else:
        messages.warning(
            request,
            _("Demande affichée aux maires connectés ; aucun maire de ces communes n'a d'adresse courriel."),
        )
    return redirect("crisis:index")


def crisis_people(crisis):
    """Active accounts of the crisis's communes: who a task, a PCC post or a handover may name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, commune_memberships__commune_code__in=crisis.communes)
        .distinct()
        .order_by("username")
    )


def _context(request: HttpRequest, crisis, **extra) -> dict:
    user = request.user
    in_crisis = bool(set(crisis.communes) & user_communes(user)) or "*" in user_communes(user)
    can = {
        "write": crisis.is_open and in_crisis and has_perm(user, "crisis.add_logentry"),
        "escalate": crisis.is_open and in_crisis and has_perm(user, "crisis.escalate_crisis"),
        "close": crisis.is_open
        and in_crisis
        and (
            has_perm(user, "crisis.close_crisis")
            or (crisis.exercise and has_perm(user, "crisis.run_exercise"))
        ),
        "tasks": crisis.is_open and in_crisis and has_perm(user, "crisis.change_task"),
    }
    users = crisis_people(crisis)
    context = {
        "crisis": crisis,
        "communes_names": selectors.crisis_communes_names(crisis),
        "head": selectors.chain_head(crisis),
        "entries": selectors.entries(crisis).select_related("task"),
        "tasks": selectors.tasks(crisis),
        "staffing": crisis.staffing.filter(ended_at__isnull=True),
        "handovers": crisis.handovers.all(),
        "reflex_runs": crisis.reflex_runs.all(),
        "sheets": selectors.reflex_sheets(crisis.communes, crisis.hazard) if can["tasks"] else [],
        "can": can,
        "entry_form": EntryForm(),
        "escalate_form": EscalateForm(initial={"level": min(crisis.level + 1, 4)}, prefix="level"),
        "close_form": CloseForm(prefix="close"),
        "handover_form": HandoverForm(users=users, prefix="handover"),
        "staffing_form": StaffingForm(users=users, prefix="staff"),
        "task_form": TaskForm(users=users, prefix="task"),
        "assign_form": AssignTaskForm(users=users, prefix="assign"),
        "my_tasks": selectors.tasks_for_user(crisis, user),
        "exercise_run": getattr(crisis, "exercise_run", None) if crisis.exercise else None,
        "boundaries": boundaries_feature_collection([c for c in communes() if c.code in crisis.communes]),
        "map_config": map_config(),
    }
    context.update(extra)
    return context


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    return render(request, "crisis/detail.html", _context(request, crisis))


def log_entries(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    return render(request, "crisis/detail.html#journal", _context(request, crisis))


@require_POST
def add_entry(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    form = EntryForm(request.POST, request.FILES)
    form_error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_append_entry(
                crisis,
                text=data["text"],
                category=data["category"],
                source=data["source"],
                actor=request.user,
                occurred_at=data["occurred_at"],
                deferred=data["deferred"],
                corrects=_entry_id(crisis, data["corrects"]),
                location_label=data["location_label"],
                lat=data["lat"],
                lon=data["lon"],
                attachment=data["attachment"] or None,
            )
            form = EntryForm()
        except PermissionDenied as exc:
            # The typed entry stays in the form, with the reason and who may write.
            return render(
                request,
                "crisis/detail.html#journal" if _htmx(request) else "crisis/detail.html",
                _context(request, crisis, entry_form=form, entry_refusal=_refusal(request, exc)),
                status=403,
            )
        except UserError as exc:
            form_error = str(exc)
    else:
        form_error = form.errors.as_text()
    if _htmx(request):
        return render(
            request,
            "crisis/detail.html#journal",
            _context(request, crisis, entry_form=form, form_error=form_error),
        )
    if form_error:
        messages.error(request, form_error)
    return redirect("crisis:detail", pk=pk)


def refuse_tampered_attachment(request: HttpRequest, crisis, entry) -> HttpResponse | None:
    """A 409 page, logged and audited, when the file on disk no longer matches the hash written
    in the chain; None when it matches. A swapped file is never served as the original."""
    problem = attachment_problem(entry)
    if not problem:
        return None
    log.error("attachment of entry #%s of crisis %s refused: %s", entry.seq, crisis.pk, problem)
    record(
        request.user,
        "crisis.attachment.refused",
        entry,
        commune=crisis.communes[0],
        detail={"seq": entry.seq, "file": entry.attachment.name, "reason": problem},
    )
    message = _(
        "La pièce jointe de l'entrée n°%(seq)s (%(file)s) n'est pas servie : le fichier sur le disque "
        "ne correspond plus à l'empreinte inscrite dans la main courante (remplacé, modifié ou "
        "absent). Prévenez l'administrateur ; « beffroi crisis verify-log %(crisis)s » le confirme."
    ) % {"seq": entry.seq, "file": entry.attachment.name.rsplit("/", 1)[-1], "crisis": crisis.pk}
    return render(
        request, "crisis/attachment_refused.html", {"crisis": crisis, "message": message}, status=409
    )


def _entry_id(crisis, seq):
    if not seq:
        return None
    entry = selectors.entries(crisis).filter(seq=seq).first()
    if entry is None:
        raise UserError(_("L'entrée n°%(n)s n'existe pas dans cette main courante.") % {"n": seq})
    return entry


def export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    head = selectors.chain_head(crisis)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="main-courante-{crisis.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "seq",
            "recorded_at_utc",
            "occurred_at_utc",
            "deferred",
            "author",
            "source",
            "category",
            "text",
            "location",
            "lat",
            "lon",
            "corrects_seq",
            "exercise",
            "scenario_at_utc",
            "prev_hash",
            "hash",
        ]
    )
    for e in selectors.entries(crisis):
        writer.writerow(
            neutralise_row(  # free text from users: never a formula in a spreadsheet
                [
                    e.seq,
                    e.recorded_at.isoformat(),
                    e.occurred_at.isoformat(),
                    int(e.deferred),
                    e.author_label,
                    e.source,
                    e.category,
                    e.text,
                    e.location_label,
                    e.lat or "",
                    e.lon or "",
                    e.corrects.seq if e.corrects else "",
                    int(e.exercise),
                    e.scenario_at.isoformat() if e.scenario_at else "",
                    e.prev_hash,
                    e.hash,
                ]
            )
        )
    writer.writerow([f"# chain head: {head['hash']} ({head['length']} entries)"])
    return response


def _post_action(
    request: HttpRequest, pk: int, form_class, action, prefix: str, **form_kwargs
) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    form = form_class(request.POST, prefix=prefix, **form_kwargs)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("crisis:detail", pk=pk)
    try:
        action(crisis, form.cleaned_data)
    except PermissionDenied as exc:
        # Keep what was typed: the page comes back with the bound form and the reason.
        return render(
            request,
            "crisis/detail.html",
            _context(
                request,
                crisis,
                **{_FORM_KEYS[prefix]: form, "refused_form": form, "refusal": _refusal(request, exc)},
            ),
            status=403,
        )
    except UserError as exc:
        _error(request, exc)
    return redirect("crisis:detail", pk=pk)


_FORM_KEYS = {
    "level": "escalate_form",
    "close": "close_form",
    "handover": "handover_form",
    "staff": "staffing_form",
}


@require_POST
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        EscalateForm,
        lambda c, d: actions.do_escalate(c, level=d["level"], reason=d["reason"], actor=request.user),
        "level",
    )


@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        CloseForm,
        lambda c, d: actions.do_close_crisis(c, summary=d["summary"], actor=request.user),
        "close",
    )


@require_POST
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    return _post_action(
        request,
        pk,
        HandoverForm,
        lambda c, d: actions.do_handover(c, incoming=d["incoming"], summary=d["summary"], actor=request.user),
        "handover",
        users=crisis_people(crisis),
    )


@require_POST
def add_staffing(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    return _post_action(
        request,
        pk,
        StaffingForm,
        lambda c, d: actions.do_add_staffing(
            c, cell=d["cell"], name=d["name"], contact=d["contact"], user=d["user"], actor=request.user
        ),
        "staff",
        users=crisis_people(crisis),
    )


@require_POST
def end_staffing(request: HttpRequest, pk: int, staff_id: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    staff = Staffing.objects.filter(crisis=crisis, pk=staff_id, ended_at__isnull=True).first()
    if staff is None:
        raise PermissionDenied("staffing")
    actions.do_end_staffing(staff, actor=request.user)
    return redirect("crisis:detail", pk=pk)
