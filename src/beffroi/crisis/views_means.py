"""Pages for tasks, reflex sheets, the directory, resources, loans and shelters."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import ALL_COMMUNES, has_perm, require, user_communes
from beffroi.crisis import actions_means as am
from beffroi.crisis import actions_requests as ar
from beffroi.crisis import selectors
from beffroi.crisis.forms import ParisDateTimeField
from beffroi.crisis.models import (
    POOL,
    Commitment,
    Contact,
    Need,
    ReflexSheet,
    Resource,
    ResourceLoan,
    ResourceRequest,
    Shelter,
    ShelterEntry,
)
from beffroi.crisis.models.crisis import LEVELS, Hazard
from beffroi.crisis.views import _htmx
from beffroi.territory.selectors import communes, communes_for_user


def _codes(user) -> list[str]:
    return [c.code for c in communes_for_user(user)]


def _post_id(request: HttpRequest, name: str, label: str, *, required: bool = True) -> int | None:
    """The id a form names (a crisis, a sheet…): a number, else a located refusal (400)."""
    raw = (request.POST.get(name) or "").strip()
    if not raw and not required:
        return None
    if not raw.isdigit():
        raise UserError(
            _("%(label)s : choisissez dans la liste (reçu « %(value)s »).")
            % {"label": label, "value": raw[:20]},
            [Problem(_("identifiant attendu"), field=name)],
        )
    return int(raw)


def _note(request: HttpRequest, name: str = "note", label: str = "", max_length: int = 1000) -> str:
    """A free text of the form, bounded and without NUL byte."""
    value = request.POST.get(name, "")
    label = label or _("Note")
    if "\x00" in value:
        raise UserError(
            _("%(label)s : caractère nul (\\0) refusé.") % {"label": label}, [Problem("NUL", field=name)]
        )
    if len(value) > max_length:
        raise UserError(
            _("%(label)s : %(n)s caractères, au plus %(max)s.")
            % {"label": label, "n": len(value), "max": max_length},
            [Problem(_("trop long"), field=name)],
        )
    return value


def _check_commune(user, commune: str) -> None:
    allowed = user_communes(user)
    if ALL_COMMUNES not in allowed and commune not in allowed:
        raise PermissionDenied("commune")


@require_POST
def start_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    sheet = get_object_or_404(ReflexSheet, pk=_post_id(request, "sheet", _("Fiche réflexe")))
    try:
        run = am.do_start_reflex_sheet(
            crisis,
            sheet,
            actor=request.user,
            url=request.build_absolute_uri(reverse("crisis:detail", args=[pk])),
        )
        messages.success(
            request, f"Fiche « {run.sheet_title} » déclenchée : {run.tasks.count()} tâches créées."
        )
    except UserError as exc:
        messages.error(request, str(exc))
    return redirect("crisis:detail", pk=pk)


def attachment(request: HttpRequest, pk: int, seq: int) -> HttpResponse | FileResponse:
    crisis = selectors.get_crisis_for_user(request.user, pk)
    entry = selectors.entries(crisis).filter(seq=seq).first()
    if entry is None or not entry.attachment:
        raise Http404
    from beffroi.crisis.views import refuse_tampered_attachment  # local: one hunk in a shared file

    return refuse_tampered_attachment(request, crisis, entry) or FileResponse(
        entry.attachment.open("rb"), as_attachment=True
    )


# --- reflex sheets -------------------------------------------------------------------------
def sheets(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.view_reflexsheet")
    return render(
        request,
        "crisis/sheets.html",
        {
            "sheets": selectors.reflex_sheets(_codes(request.user)),
            "can_edit": has_perm(request.user, "crisis.change_reflexsheet"),
        },
    )


def _items_from_post(post) -> list[dict]:
    items = []
    for line in post.get("items", "").splitlines():
        # One action a line: "action | cellule | délai en minutes | priorité"
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        minutes = parts[2] if len(parts) > 2 and parts[2].isdigit() else None
        priority = parts[3] if len(parts) > 3 and parts[3] in ("1", "2", "3") else "2"
        items.append(
            {
                "title": parts[0],
                "cell": parts[1] if len(parts) > 1 else "",
                "within_minutes": int(minutes) if minutes else None,
                "priority": int(priority),
            }
        )
    return items


def sheet_edit(request: HttpRequest, sheet_id: int | None = None) -> HttpResponse:
    require(request.user, "crisis.change_reflexsheet")
    sheet = get_object_or_404(ReflexSheet, pk=sheet_id) if sheet_id else None
    if sheet and sheet.commune:
        _check_commune(request.user, sheet.commune)
    error = None
    if request.method == "POST":
        try:
            level = int(request.POST.get("level") or 0)
            sheet = am.do_save_reflex_sheet(
                actor=request.user,
                sheet=sheet,
                commune=request.POST.get("commune", ""),
                hazard=request.POST.get("hazard", ""),
                level=level,
                title=request.POST.get("title", ""),
                objective=request.POST.get("objective", ""),
                items=_items_from_post(request.POST),
            )
            messages.success(request, f"Fiche enregistrée (version {sheet.version}).")
            return redirect("crisis:sheets")
        except UserError as exc:
            error = str(exc)
        except ValueError:
            error = _("Niveau : un nombre entier (champ « level »).")
    items_text = (
        "\n".join(
            f"{i.title} | {i.cell} | {i.within_minutes or ''} | {i.priority}" for i in sheet.items.all()
        )
        if sheet
        else ""
    )
    return render(
        request,
        "crisis/sheet_edit.html",
        {
            "sheet": sheet,
            "items_text": items_text,
            "error": error,
            "hazards": Hazard.choices,
            "levels": list(LEVELS.items()),
            "communes": communes_for_user(request.user),
        },
        status=400 if error else 200,
    )


# --- directory -----------------------------------------------------------------------------
def directory(request: HttpRequest) -> HttpResponse:
    require(request.user, "crisis.view_contact")
    codes = _codes(request.user)
    error = None
    if request.method == "POST":
        commune = request.POST.get("commune", "")
        _check_commune(request.user, commune)
        try:
            fields: dict[str, Any] = {k: request.POST.get(k, "") for k in am.CONTACT_FIELDS}
            am.do_save_contact(commune=commune, actor=request.user, **fields)
            return redirect("crisis:directory")
        except UserError as exc:
            error = str(exc)
    return render(
        request,
        "crisis/directory.html",
        {
            "contacts": selectors.directory(codes),
            "communes": communes_for_user(request.user),
            "error": error,
            "can_edit": has_perm(request.user, "crisis.add_contact"),
            "kinds": Contact.Kind.choices,
        },
        status=400 if error else 200,
    )


# --- resources and shelters ----------------------------------------------------------------
def resources(request: HttpRequest, *, shelters_only: bool = False, status: int = 200) -> HttpResponse:
    require(request.user, "crisis.view_resource")
    codes = _codes(request.user)
    stock = list(selectors.resources(codes))
    active = selectors.active_crises(request.user)
    for r in stock:
        r.left = ar.available(r)  # type: ignore[attr-defined]
        # the crises it may be committed to: those of its commune (any, for the pool's)
        r.crises = [c for c in active if not r.commune or r.commune in c.communes]  # type: ignore[attr-defined]
    context = {
        "resources": stock,
        "commitments": selectors.open_commitments(codes),
        "requests": selectors.resource_requests(codes),
        "pool": POOL,
        "shelters": selectors.shelters(codes),
        "loans": ResourceLoan.objects.filter(returned_at__isnull=True, from_commune__in=codes).select_related(
            "resource"
        ),
        "communes": communes_for_user(request.user),
        "territory": communes(),
        "active": active,
        "can_edit": has_perm(request.user, "crisis.change_resource"),
        "can_shelter": has_perm(request.user, "crisis.change_shelter"),
        "can_register": has_perm(request.user, "crisis.view_shelterentry"),
        "pending": getattr(request, "pending_occupancy", None),
        "kinds": Resource.Kind.choices,
    }
    if shelters_only or (_htmx(request) and request.GET.get("partial") == "shelters"):
        return render(request, "crisis/resources.html#shelters", context)
    return render(request, "crisis/resources.html", context, status=status)


# --- means with quantities: commitments and requests between communes -----------------------
def _int(request: HttpRequest, name: str, label: str) -> int:
    raw = (request.POST.get(name) or "").strip()
    if not raw.isdigit():
        raise UserError(f"{label} : un nombre entier.", [Problem(_("pas un nombre"), field=name)])
    return int(raw)


def _time(request: HttpRequest, name: str):
    raw = (request.POST.get(name) or "").strip()
    if not raw:
        return None
    field = ParisDateTimeField()
    try:
        return field.clean(raw)
    except ValidationError:
        raise UserError(
            "Date et heure attendues (AAAA-MM-JJTHH:MM).", [Problem(_("heure invalide"), field=name)]
        ) from None


def _means_step(request: HttpRequest, step) -> HttpResponse:
    """Run one step; a refusal or a bad value comes back on the page, with the reason, as a 400."""
    try:
        step()
    except UserError as exc:
        return _refused(request, exc)
    return redirect("crisis:resources")


def _refused(request: HttpRequest, exc: UserError) -> HttpResponse:
    messages.error(request, str(exc).replace("\n", " "))
    return resources(request, status=400)


@require_POST
def commit_resource(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = get_object_or_404(Resource, pk=resource_id)
    try:
        crisis_id = _post_id(request, "crisis", _("Crise"))
    except UserError as exc:
        return _refused(request, exc)
    crisis = selectors.get_crisis_for_user(request.user, crisis_id or 0)
    return _means_step(
        request,
        lambda: ar.do_commit_resource(
            resource,
            crisis,
            quantity=_int(request, "quantity", "Quantité"),
            place=_note(request, "place", _("Lieu"), 200),
            until=_time(request, "until"),
            actor=request.user,
        ),
    )


@require_POST
def release_commitment(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = get_object_or_404(Commitment, pk=commitment_id, released_at__isnull=True)
    return _means_step(request, lambda: ar.do_release_commitment(commitment, actor=request.user))


def _posted_crisis(request: HttpRequest):
    """The crisis a means form names (optional), one the user may see; ``UserError`` if not a number."""
    crisis_id = _post_id(request, "crisis", _("Crise"), required=False)
    return selectors.get_crisis_for_user(request.user, crisis_id) if crisis_id else None


@require_POST
def request_resource(request: HttpRequest) -> HttpResponse:
    try:
        crisis = _posted_crisis(request)
    except UserError as exc:
        return _refused(request, exc)
    return _means_step(
        request,
        lambda: ar.do_request_resource(
            from_commune=request.POST.get("from_commune", ""),
            to_commune=request.POST.get("to_commune", ""),
            kind=request.POST.get("kind", ""),
            label=request.POST.get("label", ""),
            quantity=_int(request, "quantity", "Quantité"),
            unit=request.POST.get("unit", ""),
            place=request.POST.get("place", ""),
            until=_time(request, "until"),
            note=_note(request),
            crisis=crisis,
            actor=request.user,
        ),
    )


@require_POST
def answer_request(request: HttpRequest, request_id: int) -> HttpResponse:
    asked = get_object_or_404(ResourceRequest, pk=request_id)
    decision = request.POST.get("decision", "")
    resource = (
        Resource.objects.filter(
            pk=int(raw) if (raw := request.POST.get("resource", "")).isdigit() else 0
        ).first()
        if decision != "refused"
        else None
    )
    return _means_step(
        request,
        lambda: ar.do_answer_request(
            asked,
            decision=decision,
            resource=resource,
            quantity=_int(request, "quantity", "Quantité accordée") if decision == "partial" else 0,
            note=_note(request),
            actor=request.user,
        ),
    )


@require_POST
def return_request(request: HttpRequest, request_id: int) -> HttpResponse:
    asked = get_object_or_404(ResourceRequest, pk=request_id)
    return _means_step(request, lambda: ar.do_return_request(asked, actor=request.user))


@require_POST
def add_resource(request: HttpRequest) -> HttpResponse:
    commune = request.POST.get("commune", "")
    _check_commune(request.user, commune)
    return _means_step(
        request,
        lambda: am.do_save_resource(
            commune=commune,
            actor=request.user,
            name=request.POST.get("name", ""),
            kind=request.POST.get("kind", "autre"),
            quantity=_int(request, "quantity", _("Quantité")) if request.POST.get("quantity") else 1,
            unit=request.POST.get("unit", ""),
            location=request.POST.get("location", ""),
        ),
    )


@require_POST
def lend_resource(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = get_object_or_404(Resource, pk=resource_id)
    _check_commune(request.user, resource.commune)
    try:
        crisis = _posted_crisis(request)
    except UserError as exc:
        return _refused(request, exc)
    return _means_step(
        request,
        lambda: am.do_lend_resource(
            resource,
            to_commune=request.POST.get("to_commune", ""),
            crisis=crisis,
            note=_note(request),
            actor=request.user,
        ),
    )


@require_POST
def return_resource(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = get_object_or_404(ResourceLoan, pk=loan_id, returned_at__isnull=True)
    _check_commune(request.user, loan.from_commune)
    am.do_return_resource(loan, actor=request.user)
    return redirect("crisis:resources")


@require_POST
def shelter_occupancy(request: HttpRequest, shelter_id: int) -> HttpResponse:
    """The typed head count of a shelter without a register; above capacity asks to confirm."""
    shelter = get_object_or_404(Shelter, pk=shelter_id)
    _check_commune(request.user, shelter.commune)
    pending = None
    try:
        occupancy = int(request.POST.get("occupancy") or 0)
        am.do_set_occupancy(
            shelter,
            occupancy=occupancy,
            actor=request.user,
            confirm=request.POST.get("confirm") == "1",
        )
    except am.OverCapacity as exc:
        pending = {"shelter": shelter.pk, "occupancy": occupancy, "message": str(exc)}
        messages.warning(request, str(exc))
    except (UserError, ValueError) as exc:
        messages.error(request, str(exc) if isinstance(exc, UserError) else "Occupation : un nombre entier.")
    if _htmx(request) or pending:
        request.pending_occupancy = pending  # type: ignore[attr-defined]
        return resources(request, shelters_only=_htmx(request))
    return redirect("crisis:resources")


@require_POST
def shelter_state(request: HttpRequest, shelter_id: int) -> HttpResponse:
    """Open or close a shelter (``action`` = ``ouvrir`` or ``fermer``)."""
    shelter = get_object_or_404(Shelter, pk=shelter_id)
    _check_commune(request.user, shelter.commune)
    action = request.POST.get("action")
    try:
        if action == "ouvrir":
            am.do_open_shelter(shelter, actor=request.user, note=_note(request))
            messages.success(request, f"{shelter.name} est ouvert.")
        elif action == "fermer":
            am.do_close_shelter(shelter, actor=request.user, note=_note(request))
            messages.success(request, f"{shelter.name} est fermé.")
        else:
            messages.error(
                request,
                _("Action inconnue « %(action)s » (champ « action ») : ouvrir ou fermer.")
                % {"action": (action or "")[:20]},
            )
    except UserError as exc:
        messages.error(request, str(exc))
    if request.POST.get("next") == "register":
        return redirect("crisis:shelter_register", shelter_id=shelter.pk)
    return redirect("crisis:resources")


def _arrival_from_post(post) -> dict[str, Any]:
    try:
        size = int(post.get("household_size") or 1)
    except ValueError:
        raise UserError(
            "Nombre de personnes : un nombre entier.",
            [Problem(_("pas un nombre"), field="household_size")],
        ) from None
    return {
        "name": post.get("name", ""),
        "household_size": size,
        "needs": post.getlist("needs"),
        "phone": post.get("phone", ""),
        "note": post.get("note", ""),
    }


def shelter_register(request: HttpRequest, shelter_id: int) -> HttpResponse:
    """The register of a shelter: people present and departed, arrivals and departures."""
    shelter = get_object_or_404(Shelter, pk=shelter_id)
    _check_commune(request.user, shelter.commune)
    error = warning = None
    form: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            form = _arrival_from_post(request.POST)
            am.do_register_arrival(
                shelter, actor=request.user, confirm=request.POST.get("confirm") == "1", **form
            )
            messages.success(request, f"Arrivée enregistrée : {form['name'].strip()}.")
            return redirect("crisis:shelter_register", shelter_id=shelter.pk)
        except am.OverCapacity as exc:
            warning = str(exc)
        except UserError as exc:
            error = exc
            status = 422
        shelter.refresh_from_db()
    register = selectors.access_shelter_register(request.user, shelter)
    return render(
        request,
        "crisis/shelter_register.html",
        {
            "shelter": shelter,
            "present": register["present"],
            "departed": register["departed"],
            "needs": Need.choices,
            "form": form,
            "error": error,
            "warning": warning,
            "can_write": has_perm(request.user, "crisis.add_shelterentry", shelter.commune),
            "can_shelter": has_perm(request.user, "crisis.change_shelter", shelter.commune),
        },
        status=status,
    )


@require_POST
def shelter_departure(request: HttpRequest, shelter_id: int, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(ShelterEntry, pk=entry_id, shelter_id=shelter_id)
    _check_commune(request.user, entry.shelter.commune)
    try:
        am.do_register_departure(entry, actor=request.user)
        messages.success(request, f"Départ enregistré : {entry.name}.")
    except UserError as exc:
        messages.error(request, str(exc))
    return redirect("crisis:shelter_register", shelter_id=shelter_id)
