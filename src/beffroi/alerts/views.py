"""Alert pages: compose, preview per channel, approve (second person), publish, update, cancel, reach."""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.alerts import actions, selectors
from beffroi.alerts import render as channel_render
from beffroi.alerts.area import validate_area
from beffroi.alerts.forms import AlertForm
from beffroi.alerts.fralert import request_text
from beffroi.alerts.models import Alert, AlertVersion
from beffroi.core.errors import Problem, UserError
from beffroi.core.maps import map_config
from beffroi.core.permissions import has_perm, require
from beffroi.crisis.selectors import active_crises
from beffroi.crossing import selectors as crossing_selectors
from beffroi.territory.selectors import boundaries_feature_collection, communes_for_user

log = logging.getLogger(__name__)
# The form fields the composer's map fills (shown as the fallback when scripts do not run).
AREA_FIELDS = ("polygon", "circle_lat", "circle_lon", "circle_radius_km")


def _alert(request: HttpRequest, pk: int) -> Alert:
    alert = selectors.alerts_for_user(request.user).filter(pk=pk).first()
    if alert is None:
        raise PermissionDenied("alert")
    return alert


def _latest(alert: Alert) -> AlertVersion:
    version = alert.latest()
    if version is None:
        raise Http404
    return version


def _error(request, exc: UserError) -> None:
    messages.error(
        request, "; ".join([str(exc.message)] + [p.message for p in exc.problems if p.message != exc.message])
    )


def index(request: HttpRequest) -> HttpResponse:
    require(request.user, "alerts.view_alert")
    alerts = list(selectors.alerts_for_user(request.user)[:100])
    return render(
        request,
        "alerts/index.html",
        {
            "alerts": [(a, a.latest()) for a in alerts],
            "can_compose": has_perm(request.user, "alerts.add_alert"),
            "pending": selectors.pending_approvals(request.user)
            if has_perm(request.user, "alerts.approve_alert")
            else [],
            "subscribers": selectors.subscriber_counts(request.user)
            if has_perm(request.user, "alerts.view_subscriber")
            else None,
        },
    )


def _first_commune(request) -> str | None:
    return next(iter(c.code for c in communes_for_user(request.user)), None)


def template_texts(request: HttpRequest, hazard: str) -> JsonResponse:
    require(request.user, "alerts.add_alert")
    return JsonResponse(
        selectors.template_texts(hazard, request.GET.get("commune") or _first_commune(request))
    )


def templates_page(request: HttpRequest) -> HttpResponse:
    """The commune's own wording per hazard (used as the starting point when composing)."""
    require(request.user, "alerts.change_hazardtemplate")
    from beffroi.alerts.hazards import HAZARDS, LANGUAGES

    communes = communes_for_user(request.user)
    codes = [c.code for c in communes]
    commune = request.POST.get("commune") or request.GET.get("commune") or (codes[0] if codes else "")
    if commune not in codes:
        raise PermissionDenied("commune")
    if request.method == "POST":
        hazard = request.POST.get("hazard", "")
        texts = {
            lang: {k: request.POST.get(f"{lang}_{k}", "") for k in ("headline", "description", "instruction")}
            for lang in LANGUAGES
        }
        try:
            actions.do_save_template(commune=commune, hazard=hazard, texts=texts, actor=request.user)
        except UserError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Modèle enregistré."))
        return redirect(f"{request.path}?commune={commune}")
    rows = [(key, value["label"], selectors.template_texts(key, commune)) for key, value in HAZARDS.items()]
    return render(
        request,
        "alerts/templates.html",
        {"rows": rows, "communes": communes, "commune": commune, "languages": LANGUAGES},
    )


@require_POST
def preview(request: HttpRequest) -> JsonResponse:
    """Live preview of every channel while composing (nothing is saved)."""
    require(request.user, "alerts.add_alert")
    from django.utils import timezone

    from beffroi.alerts.hazards import LANGUAGES
    from beffroi.alerts.text import clean

    allowed = [c.code for c in communes_for_user(request.user)]
    chosen = [c for c in request.POST.getlist("communes") if c in allowed] or allowed[:1]
    commune = chosen[0] if chosen else ""
    status = request.POST.get("status", "Actual")
    alert = Alert(
        commune=commune,
        hazard=request.POST.get("hazard", "autre"),
        status=status if status in Alert.Status.values else "Actual",
    )
    texts = {
        lang: {
            k: clean(request.POST.get(f"{lang}_{k}", "")) for k in ("headline", "description", "instruction")
        }
        for lang in LANGUAGES
    }
    now = timezone.now()
    version = AlertVersion(
        alert=alert,
        texts=texts,
        onset=now,
        expires=now,
        contact=request.POST.get("contact", ""),
        area={"communes": chosen},
    )
    alert.pk = 0
    return JsonResponse(channel_render.previews(version))


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _posted_area(request, allowed: list[str]) -> dict:
    """The area fields of the compose form, as ``validate_area`` takes them (communes not checked)."""
    raw = (request.POST.get("polygon") or "").strip()
    try:
        polygon = json.loads(raw) if raw else None
    except ValueError:
        raise UserError(
            _("Le polygone doit être du GeoJSON."),
            [Problem(_("Le polygone doit être du GeoJSON."), "polygon")],
        ) from None
    lat, lon = _float(request.POST.get("circle_lat")), _float(request.POST.get("circle_lon"))
    radius = _float(request.POST.get("circle_radius_km"))
    circle = {"lat": lat, "lon": lon, "radius_km": radius} if None not in (lat, lon) and radius else None
    return {
        "polygon": polygon,
        "circle": circle,
        "communes": request.POST.getlist("communes") or allowed[:1],
        "description": "",
    }


def _estimate_answer(request, area: dict, *, hazard: str, status: str, allowed: list[str]) -> JsonResponse:
    outside = [c for c in area.get("communes") or [] if c not in allowed]
    if outside:
        return JsonResponse(
            {"detail": _("Communes hors des vôtres : %(codes)s.") % {"codes": ", ".join(outside)}}, status=403
        )
    try:
        clean, warnings = validate_area(area, allowed_communes=list(area["communes"]))
    except UserError as exc:
        return JsonResponse(
            {"detail": str(exc.message), "problems": [p.message for p in exc.problems]}, status=400
        )
    status = status if status in Alert.Status.values else Alert.Status.ACTUAL
    estimate = selectors.area_estimate(clean, hazard=hazard, status=status, user=request.user)
    return JsonResponse({**estimate, "warnings": warnings})


@require_POST
def estimate(request: HttpRequest) -> JsonResponse:
    """What the area being composed holds (residents, addresses, subscribers per channel, facilities,
    registered people as released by the registry): the figures beside the composer's map."""
    require(request.user, "alerts.add_alert")
    allowed = [c.code for c in communes_for_user(request.user)]
    try:
        area = _posted_area(request, allowed)
    except UserError as exc:
        return JsonResponse({"detail": str(exc.message)}, status=400)
    return _estimate_answer(
        request,
        area,
        hazard=request.POST.get("hazard", "autre"),
        status=request.POST.get("status", "Actual"),
        allowed=allowed,
    )


def version_estimate(request: HttpRequest, pk: int) -> JsonResponse:
    """The same figures for the message's stored area (the approver's page)."""
    alert = _alert(request, pk)
    version = _latest(alert)
    allowed = [c.code for c in communes_for_user(request.user)]
    return _estimate_answer(
        request, dict(version.area), hazard=alert.hazard, status=alert.status, allowed=allowed
    )


def zone(request: HttpRequest) -> JsonResponse:
    """The zone of a zones-per-level dataset (e.g. the flood zone at one water height), clipped to the
    user's communes: the composer loads it into the drawn area."""
    require(request.user, "alerts.add_alert")
    try:
        level = float(request.GET.get("level", ""))
    except ValueError:
        return JsonResponse({"detail": _("Niveau inconnu.")}, status=400)
    try:
        feature = crossing_selectors.zone_at_level(request.GET.get("dataset", ""), level, user=request.user)
    except PermissionDenied:
        return JsonResponse({"detail": _("Zones non accessibles.")}, status=403)
    if feature is None:
        return JsonResponse({"detail": _("Cette zone n'atteint aucune de vos communes.")}, status=404)
    return JsonResponse(feature)


def _zone_choices(user) -> list[dict]:
    """Zones-per-level datasets and their levels, for the composer's select (empty without access)."""
    if not has_perm(user, "crossing.view_exposure"):
        return []
    try:
        return crossing_selectors.hazard_zone_choices(user=user)
    except Exception:  # noqa: BLE001 - a dataset that cannot be read offers no zone, the page still works
        log.warning("alerts: zones-per-level datasets unreadable", exc_info=True)
        return []


def _map_data(request, version: AlertVersion | None = None) -> dict:
    communes = communes_for_user(request.user)
    return {
        "boundaries": boundaries_feature_collection(list(communes)),
        **map_config(),
        "estimateUrl": reverse("alerts:estimate_version", args=[version.alert_id])
        if version is not None
        else reverse("alerts:estimate"),
        "zoneUrl": reverse("alerts:zone"),
        "strings": _map_strings(),
    }


def _map_strings() -> dict:
    return {
        "area": _("Zone alertée"),
        "km2": _("km²"),
        "residents": _("Habitants estimés"),
        "over75": _("dont 75 ans et plus"),
        "addresses": _("Adresses"),
        "subscribers": _("Abonnés qui recevraient le message"),
        "channels": {"email": _("e-mail"), "sms": _("SMS"), "webpush": _("notification")},
        "exercise": _(
            "Exercice ou test : seuls les destinataires de test reçoivent le message ; "
            "les abonnés de la zone sont donnés pour information."
        ),
        "facilities": _("Établissements sensibles"),
        "types": {
            "ecole": _("écoles"),
            "creche": _("crèches"),
            "ehpad": _("EHPAD"),
            "sante": _("santé"),
            "gymnase": _("gymnases"),
        },
        "registry": _("Personnes du registre (nombre communiqué)"),
        "unknown": _("non disponible"),
        "source": _("Source"),
        "synthetic": _("synthétique"),
        "updated": _("mis à jour le"),
        "computing": _("Estimation en cours…"),
        "error": _("Zone refusée"),
        "empty": _("Cochez une commune ou dessinez une zone pour voir l'estimation."),
        "warnings": _("Remarques"),
        "zoneLoaded": _("Zone chargée dans la zone dessinée : vous pouvez la modifier sur la carte."),
        "oneCircle": _("Un seul cercle par alerte : le nouveau remplace l'ancien."),
        "onePolygon": _("Un seul polygone par alerte : le nouveau remplace l'ancien."),
    }


def _open_crises(request) -> list:
    """Open crises of the user's communes that the user may write in (the alert is logged there)."""

    if not has_perm(request.user, "crisis.add_logentry"):
        return []
    return active_crises(request.user)


def compose(request: HttpRequest) -> HttpResponse:
    require(request.user, "alerts.add_alert")
    communes = communes_for_user(request.user)
    crises = _open_crises(request)
    if request.method == "POST":
        form = AlertForm(request.POST, communes=communes, crises=crises)
        if form.is_valid():
            kwargs = form.action_kwargs()
            codes = kwargs["area"]["communes"] or [c.code for c in communes][:1]
            try:
                alert = actions.do_draft_alert(
                    hazard=form.cleaned_data["hazard"],
                    communes=codes,
                    status=form.cleaned_data["status"],
                    crisis_id=form.crisis_id(),
                    actor=request.user,
                    **kwargs,
                )
            except UserError as exc:
                _error(request, exc)
            else:
                for warning in getattr(alert, "warnings", []):
                    messages.warning(request, warning)
                return redirect("alerts:detail", alert.pk)
    else:
        hazard = request.GET.get("alea", "inondation")
        initial: dict = {"hazard": hazard, "communes": [c.code for c in communes][:1]}
        # Coming from a crisis (?crise=ID): link it and preselect its communes among the user's.
        crisis = next((c for c in crises if str(c.pk) == request.GET.get("crise", "")), None)
        if crisis is not None:
            own = {c.code for c in communes}
            initial["crisis"] = str(crisis.pk)
            initial["communes"] = [code for code in crisis.communes if code in own] or initial["communes"]
            initial["status"] = "Exercise" if crisis.exercise else "Actual"
        for lang, t in selectors.template_texts(hazard, _first_commune(request)).items():
            for k, v in t.items():
                initial[f"{lang}_{k}"] = v
        form = AlertForm(initial=initial, communes=communes, crises=crises)
    return render(
        request,
        "alerts/compose.html",
        {
            "form": form,
            "title": _("Nouvelle alerte"),
            **_compose_map_context(request),
            # Choosing a crisis in the list ticks its communes (among the user's).
            "crisis_communes": {str(c.pk): list(c.communes) for c in crises},
        },
        # A POST that reaches here was refused: the form comes back with the reasons, as a 400.
        status=400 if request.method == "POST" else 200,
    )


def _compose_map_context(request) -> dict:
    data = _map_data(request)
    data["areaFields"] = list(AREA_FIELDS)
    return {"map_data": data, "zones": _zone_choices(request.user), "area_fields": AREA_FIELDS}


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk)
    version = _latest(alert)
    require(request.user, "alerts.change_alert", alert.commune)
    communes = communes_for_user(request.user)
    form = AlertForm(request.POST or None, initial=AlertForm.initial_from(version), communes=communes)
    form.fields["hazard"].disabled = True
    form.fields["status"].disabled = True
    form.fields.pop("crisis")  # the crisis link is chosen when drafting
    if request.method == "POST" and form.is_valid():
        try:
            for warning in actions.do_edit_version(version, actor=request.user, **form.action_kwargs()):
                messages.warning(request, warning)
        except UserError as exc:
            _error(request, exc)
        else:
            return redirect("alerts:detail", alert.pk)
    title = (
        _("Rédiger la fin d'alerte")
        if version.msg_type == AlertVersion.MsgType.CANCEL
        else _("Modifier le message")
    )
    return render(
        request,
        "alerts/compose.html",
        {"form": form, "alert": alert, "title": title, **_compose_map_context(request)},
        status=400 if request.method == "POST" else 200,
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk)
    version = _latest(alert)
    user = request.user
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "version": version,
            "communes": channel_render.subject_prefix(version).split(", "),
            "previews": channel_render.previews(version),
            "history": alert.versions.all(),
            "reach": selectors.reach_report(alert, user),
            "fralert": request_text(version),
            "needs_approval": actions.needs_approval(version),
            "can_edit": has_perm(user, "alerts.change_alert", alert.commune) and version.state != "published",
            "can_approve": has_perm(user, "alerts.approve_alert", alert.commune)
            and version.state == "submitted"
            and version.composed_by_id != user.pk,
            "can_publish": has_perm(user, "alerts.publish_alert", alert.commune)
            and version.state != "published"
            and (version.state == "approved" or not actions.needs_approval(version)),
            "can_follow": has_perm(user, "alerts.publish_alert", alert.commune)
            and version.state == "published"
            and not alert.cancelled,
            "verified": bool(getattr(user, "is_verified", lambda: False)()),
            "map_data": _map_data(request, version),
        },
    )


def _post_action(request, pk, run, success: str):
    alert = _alert(request, pk)
    try:
        run(alert, alert.latest())
    except UserError as exc:
        _error(request, exc)
    except PermissionDenied as exc:
        if str(exc) == "otp":
            messages.error(request, _("Confirmez votre session avec votre code TOTP avant d'approuver."))
        else:
            raise
    else:
        messages.success(request, success)
    return redirect("alerts:detail", alert.pk)


@require_POST
def submit(request, pk):
    return _post_action(
        request,
        pk,
        lambda a, v: actions.do_submit(v, actor=request.user),
        _("Message soumis à l'approbation."),
    )


@require_POST
def approve(request, pk):
    return _post_action(
        request,
        pk,
        lambda a, v: actions.do_approve(v, digest=request.POST.get("digest", ""), actor=request.user),
        _("Message approuvé."),
    )


@require_POST
def reject(request, pk):
    return _post_action(
        request,
        pk,
        lambda a, v: actions.do_reject(v, reason=request.POST.get("reason", ""), actor=request.user),
        _("Message refusé."),
    )


@require_POST
def publish(request, pk):
    # A « Fin d'alerte » is published only once its confirmation box is ticked.
    return _post_action(
        request,
        pk,
        lambda a, v: actions.do_publish(v, actor=request.user, confirmed=request.POST.get("confirm") == "1"),
        _("Publié : page publique, CAP, flux et envois."),
    )


@require_POST
def update(request, pk):
    alert = _alert(request, pk)
    try:
        actions.do_prepare_update(alert, actor=request.user)
    except UserError as exc:
        _error(request, exc)
        return redirect("alerts:detail", alert.pk)
    return redirect("alerts:edit", alert.pk)


@require_POST
def cancel(request, pk):
    """Prepare the « Fin d'alerte »: a draft with its own prefilled text, edited before approval."""
    alert = _alert(request, pk)
    try:
        actions.do_prepare_cancel(alert, actor=request.user)
    except UserError as exc:
        _error(request, exc)
        return redirect("alerts:detail", alert.pk)
    messages.info(request, _("Fin d'alerte préparée : relisez son texte, puis soumettez-la à l'approbation."))
    return redirect("alerts:edit", alert.pk)
