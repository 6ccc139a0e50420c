"""Alert pages: compose, preview per channel, approve (second person), publish, update, cancel, reach."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beffroi.alerts import actions, selectors
from beffroi.alerts import render as channel_render
from beffroi.alerts.forms import AlertForm
from beffroi.alerts.fralert import request_text
from beffroi.alerts.models import Alert, AlertVersion
from beffroi.core.errors import UserError
from beffroi.core.permissions import has_perm, require
from beffroi.crisis.selectors import active_crises
from beffroi.territory.selectors import communes_for_user


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
            "subscribers": selectors.subscriber_counts()
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
    return render(request, "alerts/compose.html", {"form": form, "title": _("Nouvelle alerte")})


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
    return render(request, "alerts/compose.html", {"form": form, "alert": alert, "title": title})


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
