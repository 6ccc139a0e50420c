"""Registry pages. Thin: they call registry.access (reads, logged) and the actions (writes).

URLs carry opaque ids only; every page of personal data answers ``Cache-Control: no-store``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from beffroi.alerts import selectors as alerts_selectors
from beffroi.core.errors import UserError
from beffroi.core.maps import map_config
from beffroi.core.permissions import ALL_COMMUNES, has_perm, require, user_communes
from beffroi.crisis.selectors import active_crises
from beffroi.registry import access, actions, crypto, exports, outreach, routes, uploads
from beffroi.registry.disclosure import setting, small_label
from beffroi.registry.importer import (
    IGNORE,
    ImportRejected,
    describe,
    import_file,
    recognise_header,
    target_choices,
)
from beffroi.registry.models import CallAssignment, Campaign, Nomination, Visit, VisitRoute
from beffroi.registry.models.outreach import Hazard, Outcome
from beffroi.registry.models.people import Category, Source
from beffroi.registry.schema import FIELD_LABELS, R121_4_FIELDS, fold, pcs_extension_enabled
from beffroi.registry.selectors import counts_by_commune
from beffroi.territory.selectors import boundaries_feature_collection, communes, communes_for_user


def _communes(user) -> list[str]:
    return list(_commune_names(user))


def _commune_names(user) -> dict[str, str]:
    """The user's communes of the territory, code → name, in the territory's order."""

    return {c.code: c.name for c in communes_for_user(user)}


# Fields of the registry's errors that are not record fields (FIELD_LABELS has those).
FIELD_NAMES = {
    "source": gettext_lazy("Origine de la demande"),
    "request_date": gettext_lazy("Date de la demande"),
    "proof": gettext_lazy("Justificatif"),
    "lon/lat": gettext_lazy("Position"),
    "floor": gettext_lazy("Étage"),
    "signer": gettext_lazy("Signataire"),
    "user": gettext_lazy("Agent"),
    "ack": gettext_lazy("Accusé de réception"),
}


def _error(request, exc: UserError) -> None:
    """The error in French: what is wrong, then each problem under its line and its field's label."""
    parts = [exc.message]
    for p in exc.problems[: UserError.MAX_SHOWN]:
        where = []
        if p.line is not None:
            where.append(_("ligne %(n)d") % {"n": p.line})
        if p.field:
            where.append(str(FIELD_LABELS.get(p.field) or FIELD_NAMES.get(p.field) or p.field))
        parts.append(f"{', '.join(where)} : {p.message}" if where else p.message)
    messages.error(request, " — ".join(parts))


@never_cache
def index(request: HttpRequest) -> HttpResponse:
    require(request.user, "registry.view_counts")
    communes = _commune_names(request.user)
    counts = counts_by_commune(user=request.user)
    none_shown = small_label(setting("REGISTRY_SMALL_COUNT"))
    rows = []
    for code, name in communes.items():
        rows.append(
            {
                "code": code,
                "name": name,
                "count": counts[code].shown if code in counts else none_shown,
                "manager": access.can_read(request.user, code),
                "caller": access.can_read(request.user, code, scope=access.CALLER),
            }
        )
    campaigns = Campaign.objects.filter(commune_code__in=[r["code"] for r in rows if r["caller"]])
    return render(
        request,
        "registry/index.html",
        {
            "rows": rows,
            "campaigns": campaigns,
            "can_nominate": has_perm(request.user, "registry.add_nomination"),
            "can_audit": has_perm(request.user, "registry.view_accesslog"),
            "verified": getattr(request.user, "is_verified", lambda: False)(),
            "is_agent": has_perm(request.user, "registry.view_person"),
        },
    )


@never_cache
def people(request: HttpRequest, commune: str) -> HttpResponse:
    views = access.list_people(request.user, commune, reason=_("consultation de la liste"))
    return render(
        request, "registry/people.html", {"commune": commune, "people": views, "today": timezone.localdate()}
    )


@never_cache
def overdue(request: HttpRequest, commune: str) -> HttpResponse:
    views = access.overdue_acknowledgements(request.user, commune)
    return render(
        request,
        "registry/people.html",
        {"commune": commune, "people": views, "overdue": True, "today": timezone.localdate()},
    )


def _int(value: str | None) -> int:
    """A record number from a form; a forged or empty one is a bad request, not a server error."""
    try:
        return int(value or "")
    except ValueError:
        raise SuspiciousOperation("not a number") from None


def _raw_from_post(post) -> dict:
    return {f: post.get(f, "") for f in (*R121_4_FIELDS, "lon", "lat")}


@never_cache
def register(request: HttpRequest, commune: str) -> HttpResponse:
    access.check_reader(request.user, commune)
    require(request.user, "registry.add_person", commune)
    context = {
        "commune": commune,
        "sources": Source.choices,
        "categories": Category.choices,
        "labels": FIELD_LABELS,
        "extension": pcs_extension_enabled(),
        "values": {},
    }
    if request.method == "POST":
        raw = _raw_from_post(request.POST)
        upload = request.FILES.get("proof")
        proof = (
            (
                Path(upload.name or "preuve").name,
                upload.content_type or "application/octet-stream",
                upload.read(),
            )
            if upload
            else None
        )
        try:
            request_date = date.fromisoformat(
                request.POST.get("request_date") or timezone.localdate().isoformat()
            )
            person = actions.do_register_person(
                commune,
                raw,
                source=request.POST.get("source", ""),
                request_date=request_date,
                proof=proof,
                extension={k: request.POST.get(k) for k in ("lives_alone", "floor")},
                actor=request.user,
            )
        except ValueError:
            messages.error(request, _("Date de la demande invalide."))
        except UserError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Inscription enregistrée."))
            return redirect("registry:person", public_id=person.public_id)
        context["values"] = request.POST
    # A POST shown again was refused: the page comes back with what was typed and why, as a 400.
    return render(request, "registry/register.html", context, status=400 if request.method == "POST" else 200)


@never_cache
def person(request: HttpRequest, public_id: str) -> HttpResponse:
    view = access.get_person(request.user, public_id, reason=_("consultation d'une fiche"))
    return render(
        request,
        "registry/person.html",
        {"p": view, "labels": FIELD_LABELS, "category": actions.category_label(view.data.category)},
    )


@require_POST
def person_action(request: HttpRequest, public_id: str) -> HttpResponse:
    what = request.POST.get("action", "")
    try:
        if what in ("letter", "sent", "received"):
            actions.do_mark_ack(public_id, step=what, actor=request.user)
        elif what == "update_contacts":
            # Only the fields the form sent: a missing one is left as it is, never emptied.
            raw = {f: request.POST[f] for f in actions.CONTACT_FIELDS if f in request.POST}
            actions.do_update_person(public_id, raw, actor=request.user)
            messages.success(request, _("Téléphones et contacts enregistrés."))
        elif what == "move_within":
            actions.do_record_move(
                public_id,
                within_commune=True,
                new_address=request.POST.get("address", ""),
                lon=request.POST.get("lon") or None,
                lat=request.POST.get("lat") or None,
                actor=request.user,
            )
        elif what in ("remove", "move_out"):
            if what == "move_out":
                actions.do_record_move(public_id, within_commune=False, actor=request.user)
            else:
                actions.do_remove_person(
                    public_id, reason=request.POST.get("reason", "request"), actor=request.user
                )
            messages.success(request, _("Radiation faite : les données ont été effacées."))
            return redirect("registry:index")
        else:
            raise PermissionDenied("unknown action")
    except UserError as exc:
        _error(request, exc)
    return redirect("registry:person", public_id=public_id)


@never_cache
def ack_letter(request: HttpRequest, public_id: str) -> HttpResponse:
    view = access.get_person(request.user, public_id, reason=_("accusé de réception"))
    actions.do_mark_ack(public_id, step="letter", actor=request.user)
    return render(
        request,
        "registry/ack_letter.html",
        {"p": view, "today": timezone.localdate(), "category": actions.category_label(view.data.category)},
    )


@never_cache
def subject_export(request: HttpRequest, public_id: str) -> HttpResponse:
    name, body = exports.do_subject_access_export(
        public_id, reason=_("droit d'accès de la personne"), actor=request.user
    )
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _posted_choices(post, report_columns: int) -> tuple[dict[int, str], dict[str, str]]:
    """The column and category choices of the import form (``col-<i>``, ``catkey-<n>``/``cat-<n>``)."""
    columns = {}
    for i in range(report_columns):
        value = post.get(f"col-{i}")
        if value is not None:
            columns[i] = value
    categories = {}
    for name, key in post.items():
        if name.startswith("catkey-"):
            value = post.get("cat-" + name.removeprefix("catkey-"), "")
            if value in Category.values:
                categories[key] = value
    return columns, categories


@never_cache
def import_view(request: HttpRequest, commune: str) -> HttpResponse:
    access.check_reader(request.user, commune)  # nominated manager with a TOTP-verified session
    require(request.user, "registry.add_person", commune)
    context: dict = {
        "commune": commune,
        "report": None,
        "problems": [],
        "categories": Category.choices,
        "ignore": IGNORE,
    }
    if request.method != "POST":
        uploads.discard(request)
        return render(request, "registry/import.html", context)
    proofs_on_paper = bool(request.POST.get("proofs_on_paper"))
    upload = request.FILES.get("file")
    stashed = None
    status = 200
    if upload is not None:
        content = upload.read(uploads.MAX_BYTES + 1)
        if len(content) > uploads.MAX_BYTES:
            messages.error(request, _("Le fichier dépasse 5 Mo."))
            return render(request, "registry/import.html", context, status=413)
        stashed = uploads.stash(request, commune, Path(upload.name or "import").name, content)
    else:
        stashed = uploads.load(request, commune, request.POST.get("token", ""))
        if stashed is None:
            messages.error(request, _("Choisissez le fichier à importer (l'aperçu précédent a expiré)."))
            return render(request, "registry/import.html", context, status=400)
    try:
        headers_posted = int(request.POST.get("columns") or 0) if upload is None else 0
    except ValueError:
        raise SuspiciousOperation("not a number") from None
    columns, categories = _posted_choices(request.POST, min(headers_posted, 500))
    wants_import = request.POST.get("action") == "import" and upload is None
    kept = uploads.kept_mapping(request, commune)
    choice = uploads.fingerprint(stashed.token, columns, categories, proofs_on_paper)
    confirmed = wants_import and stashed.previewed == choice
    if wants_import and not confirmed:
        messages.error(
            request, _("Les choix ont changé depuis l'aperçu : vérifiez le nouvel aperçu, puis confirmez.")
        )
    report = None
    try:
        report = import_file(
            Path(stashed.filename),
            commune,
            actor=request.user,
            mapping=kept if upload is not None else None,
            columns=columns or None,
            categories=categories,
            content=stashed.content,
            dry_run=not confirmed,
            proofs_on_paper=proofs_on_paper,
        )
    except ImportRejected as exc:
        report = exc.report
        context["problems"] = [describe(p) for p in exc.problems[:100]]
        context["problem_total"] = exc.total or len(exc.problems)
        context["problem_title"] = exc.message
        status = 422
    except crypto.RegistryKeyError:
        raise  # the registry's French 503 page (middleware): nothing was read or written
    except UserError as exc:
        context["problems"] = [describe(p) for p in exc.problems[:100]]
        context["problem_title"] = exc.message
        status = 422
    if report is not None:
        # Keep what the agent chose over what the headers alone give, for their next file.
        for c in report.column_list:
            if not c.title:
                continue
            if (c.target or None) != recognise_header(c.title)[0]:
                kept[fold(c.title)] = c.target or IGNORE
            else:
                kept.pop(fold(c.title), None)  # back to what the header gives: nothing to remember
        uploads.keep_mapping(request, commune, kept)
        if status == 200 and report.dry_run:
            uploads.mark_previewed(
                request,
                uploads.fingerprint(
                    stashed.token,
                    {c.index: c.target or IGNORE for c in report.column_list},
                    {r.key: r.code for r in report.categories if r.code},
                    proofs_on_paper,
                ),
            )
    if report is not None and not report.dry_run and status == 200:
        uploads.discard(request)
        messages.success(
            request,
            ngettext("%(n)d personne importée.", "%(n)d personnes importées.", report.imported)
            % {"n": report.imported},
        )
        return redirect("registry:people", commune=commune)
    context.update(
        {
            "report": report,
            "token": stashed.token,
            "filename": stashed.filename,
            "proofs_on_paper": proofs_on_paper,
            "targets": target_choices(),
        }
    )
    return render(request, "registry/import.html", context, status=status)


@never_cache
def export_prefect(request: HttpRequest, commune: str) -> HttpResponse:
    access.check_reader(request.user, commune, perm="registry.export_prefect")
    if request.method == "POST":
        fields = [f for f in request.POST.getlist("fields") if f in R121_4_FIELDS]
        passphrase = request.POST.get("passphrase") or ""
        try:
            name, sealed = exports.do_export_prefect(
                commune,
                fields=fields,
                passphrase=passphrase,
                reason=request.POST.get("reason", ""),
                actor=request.user,
            )
        except UserError as exc:
            _error(request, exc)
        else:
            response = HttpResponse(sealed, content_type="application/octet-stream")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render(
        request,
        "registry/export_prefect.html",
        {
            "commune": commune,
            "fields": [(f, FIELD_LABELS[f]) for f in R121_4_FIELDS],
            "defaults": exports.PREFECT_DEFAULT_FIELDS,
            "suggested": exports.new_passphrase(),
        },
    )


# --- campaigns ----------------------------------------------------------------------------------


def _say(request, exc: UserError) -> None:
    """A French message for the user: what is wrong, then each problem (they name their field)."""
    details = [p.message for p in exc.problems if p.message and p.message != exc.message]
    messages.error(request, " ".join([exc.message, *details]))


def _active_crises(user, commune):
    return [c for c in active_crises() if commune in (c.communes or [])]


def _map_config(commune: str, **extra) -> dict:
    return {
        "boundaries": boundaries_feature_collection([c for c in communes() if c.code == commune]),
        **map_config(),
        **extra,
    }


@never_cache
def campaign_new(request: HttpRequest, commune: str) -> HttpResponse:
    access.check_reader(request.user, commune)
    require(request.user, "registry.add_campaign", commune)
    nominated = Nomination.objects.filter(commune_code=commune, revoked_at__isnull=True).select_related(
        "user"
    )
    alerts = alerts_selectors.alert_areas(commune, user=request.user)
    values = {"zone": "commune", "area": "", "alert": "", "recall_delay_minutes": 60, "max_failed_calls": 3}
    chosen: list[str] = []
    if request.method == "POST":
        User = get_user_model()
        callers = list(User.objects.filter(pk__in=request.POST.getlist("callers")))
        zone = request.POST.get("zone", "commune")
        values = {k: request.POST.get(k, v) for k, v in values.items()}
        chosen = request.POST.getlist("callers")
        try:
            campaign = outreach.do_start_campaign(
                commune,
                hazard=request.POST.get("hazard", ""),
                callers=callers,
                actor=request.user,
                crisis_id=request.POST.get("crisis", ""),
                area=request.POST.get("area") if zone == "drawn" else None,
                alert_id=request.POST.get("alert") if zone == "alert" else None,
                recall_delay_minutes=_whole(request.POST.get("recall_delay_minutes"), 60, "recall"),
                max_failed_calls=_whole(request.POST.get("max_failed_calls"), 3, "failed"),
            )
        except UserError as exc:
            _say(request, exc)
        else:
            return redirect("registry:campaign", pk=campaign.pk)
    return render(
        request,
        "registry/campaign_new.html",
        {
            "commune": commune,
            "commune_name": _commune_names(request.user).get(commune, commune),
            "hazards": Hazard.choices,
            "nominated": nominated,
            "crises": _active_crises(request.user, commune),
            "alerts": alerts,
            "values": values,
            "chosen": chosen,
            "map_data": _map_config(
                commune, alerts={str(a["id"]): a["geometry"] for a in alerts}, mode="draw"
            ),
            "map_strings": _map_strings(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _whole(value, default: int, what: str) -> int:
    labels = {
        "recall": _("Rappel après (minutes)"),
        "failed": _("Visite après combien d'appels sans réponse"),
    }
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        message = _("%(field)s : nombre entier attendu.") % {"field": labels[what]}
        raise UserError(message) from None


def _map_strings() -> dict:
    return {
        "drawHelp": _(
            "Cliquez sur la carte pour poser les sommets ; « Fermer le polygone » termine la zone."
        ),
        "closed": _("Zone dessinée : elle limite la campagne."),
        "pickHelp": _("Cliquez sur la carte à l'endroit où vit la personne, puis « Placer ici »."),
        "picked": _("Point choisi :"),
        "area": _("Zone de la campagne"),
    }


def _back(request, pk: int) -> HttpResponse:
    """Back to the campaign page, or to the route page the form came from."""
    route = request.POST.get("route")
    if route and route.isdigit() and VisitRoute.objects.filter(pk=int(route), campaign_id=pk).exists():
        return redirect("registry:route", pk=pk, route=int(route))
    return redirect("registry:campaign", pk=pk)


def _campaign_map(c: Campaign, to_locate) -> dict:
    return _map_config(c.commune_code, area=c.area, mode="place" if to_locate else "view")


@never_cache
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(Campaign, pk=pk)
    access.check_reader(request.user, c.commune_code, scope=access.CALLER)
    share = access.caller_share(request.user, c)
    manager = access.can_read(request.user, c.commune_code)
    to_locate = access.to_locate(request.user, c, reason=_("personnes à localiser"))
    agent = outreach.agent_name(request.user)
    context = {
        "c": c,
        "share": share,
        "outcomes": Outcome.choices,
        "progress": outreach.progress(c),
        "script": outreach.script_for(c.hazard, agent, c.commune_code),
        "no_agent_name": not agent,
        "manager": manager,
        "to_locate": to_locate,
        "map_data": _campaign_map(c, to_locate if manager else []),
        "map_strings": _map_strings(),
    }
    if manager:
        context["visit_outcomes"] = _visit_outcomes()
        context["stops"] = access.visit_stops(request.user, c, reason=_("suivi des visites"))
        context["routes"] = VisitRoute.objects.filter(campaign=c).order_by("team")
    return render(request, "registry/campaign.html", context)


def _visit_outcomes() -> list[tuple[str, str]]:
    return [(v, str(label)) for v, label in Visit.Status.choices if v in outreach.VISIT_OUTCOMES]


@never_cache
def route(request: HttpRequest, pk: int, route: int) -> HttpResponse:
    """One team's round on a phone: who is missing first, then each stop with its outcome buttons."""
    c = get_object_or_404(Campaign, pk=pk)
    visit_route = get_object_or_404(VisitRoute, pk=route, campaign=c)
    stops = access.visit_stops(request.user, c, route=visit_route, reason=_("tournée sur le terrain"))
    to_locate = [
        t for t in access.to_locate(request.user, c, reason=_("personnes à localiser")) if t.visit_id
    ]
    missing = [
        s for s in access.missing_from_routes(request.user, c, reason=_("visites hors tournée")) if s.located
    ]
    return render(
        request,
        "registry/campaign_route.html",
        {
            "c": c,
            "route": visit_route,
            "stops": stops,
            "to_locate": to_locate,
            "unrouted": missing,
            "visit_outcomes": [
                (v, label) for v, label in Visit.Status.choices if v in outreach.VISIT_OUTCOMES
            ],
            "map_data": _campaign_map(c, to_locate),
            "map_strings": _map_strings(),
        },
    )


@require_POST
def outcome(request: HttpRequest, pk: int, assignment: int) -> HttpResponse:
    a = get_object_or_404(CallAssignment, pk=assignment, campaign_id=pk)
    try:
        outreach.do_record_outcome(
            a.pk, request.POST.get("outcome", ""), note=request.POST.get("note", ""), actor=request.user
        )
    except UserError as exc:
        _say(request, exc)
    return redirect("registry:campaign", pk=pk)


@require_POST
def visit_outcome(request: HttpRequest, pk: int, visit: int) -> HttpResponse:
    v = get_object_or_404(Visit, pk=visit, campaign_id=pk)
    try:
        outreach.do_record_visit(
            v.pk, request.POST.get("status", ""), note=request.POST.get("note", ""), actor=request.user
        )
    except UserError as exc:
        _say(request, exc)
    else:
        messages.success(request, _("Résultat de la visite enregistré."))
    return _back(request, pk)


@require_POST
def place(request: HttpRequest, pk: int, public_id: str) -> HttpResponse:
    c = get_object_or_404(Campaign, pk=pk)
    try:
        result = outreach.do_place_person(
            c,
            public_id,
            lon=request.POST.get("lon"),
            lat=request.POST.get("lat"),
            address=request.POST.get("address", "") if request.POST.get("how") == "address" else None,
            actor=request.user,
        )
    except UserError as exc:
        _say(request, exc)
    else:
        if result["removed"]:
            messages.success(
                request,
                _("Personne localisée hors de la zone de la campagne : retirée de la liste d'appels."),
            )
        elif Visit.objects.filter(campaign=c, person__public_id=public_id, route__isnull=True).exists() and (
            VisitRoute.objects.filter(campaign=c).exists()
        ):
            messages.success(
                request, _("Personne localisée. Recalculez les tournées pour l'ajouter à une tournée.")
            )
        else:
            messages.success(request, _("Personne localisée."))
    return _back(request, pk)


@require_POST
def campaign_action(request: HttpRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(Campaign, pk=pk)
    what = request.POST.get("action")
    try:
        if what == "routes":
            routes.do_plan_routes(c, teams=_int(request.POST.get("teams") or "1"), actor=request.user)
            messages.success(request, _("Tournées calculées."))
        elif what == "summary":
            if outreach.do_post_summary(c, actor=request.user):
                messages.success(request, _("Bilan (sans nom) ajouté à la main courante."))
            else:
                messages.error(request, _("Cette campagne n'est liée à aucune crise."))
        elif what == "close":
            outreach.do_close_campaign(c, actor=request.user)
        elif what == "visit_done":
            outreach.do_mark_visit_done(_int(request.POST.get("visit")), actor=request.user)
        else:
            raise PermissionDenied("unknown action")
    except UserError as exc:
        _say(request, exc)
    return redirect("registry:campaign", pk=pk)


# --- DPO and nominations ------------------------------------------------------------------------


@never_cache
def access_log(request: HttpRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    rows = access.access_log(request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "registry/access_log.html", {"page": page})


@never_cache
def nominations(request: HttpRequest) -> HttpResponse:
    require(request.user, "registry.view_nomination")
    communes = _communes(request.user)
    if request.method == "POST":
        commune = request.POST.get("commune", "")
        User = get_user_model()
        user = User.objects.filter(pk=request.POST.get("user") or 0).first()
        try:
            if user is None or commune not in communes:
                raise UserError(_("Choisissez un agent et une commune."))
            actions.do_nominate(
                user,
                commune,
                decision_date=date.fromisoformat(request.POST.get("decision_date", "")),
                signer=request.POST.get("signer", ""),
                scope=request.POST.get("scope", "manager"),
                decision_reference=request.POST.get("decision_reference", ""),
                actor=request.user,
            )
            messages.success(request, _("Nomination enregistrée."))
        except ValueError:
            messages.error(request, _("Date de décision invalide."))
        except UserError as exc:
            _error(request, exc)
        return redirect("registry:nominations")
    agents = (
        get_user_model()
        .objects.filter(groups__name="agent_ccas", commune_memberships__commune_code__in=communes)
        .distinct()
        if ALL_COMMUNES not in user_communes(request.user)
        else get_user_model().objects.filter(groups__name="agent_ccas")
    )
    rows = Nomination.objects.filter(revoked_at__isnull=True).select_related("user")
    if ALL_COMMUNES not in user_communes(request.user):
        rows = rows.filter(commune_code__in=communes)
    return render(
        request,
        "registry/nominations.html",
        {
            "rows": rows,
            "agents": agents,
            "communes": communes,
            "scopes": Nomination.Scope.choices,
            "today": timezone.localdate(),
        },
    )


__all__ = ["Visit"]
