"""Login in one or two steps (password, then TOTP when the role or the user asks for it)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from beffroi.accounts.actions import do_confirm_totp_device, do_create_totp_device, do_set_language
from beffroi.accounts.forms import LoginForm, OtpForm
from beffroi.accounts.models import StaffProfile
from beffroi.accounts.roles import requires_totp
from beffroi.core.audit import record
from beffroi.core.errors import UserError
from beffroi.core.request_context import client_ip

PENDING = "beffroi_otp_pending_user"
NEXT = "beffroi_login_next"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@login_not_required
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked_out.html", status=429)
        if user is None:
            error = _("Identifiant ou mot de passe incorrect.")
        else:
            next_url = _safe_next(request, request.POST.get("next"))
            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            if has_device or requires_totp(user):
                request.session.cycle_key()
                request.session[PENDING] = user.pk
                request.session[NEXT] = next_url
                return redirect("accounts:otp")
            login(request, user)
            record(user, "auth.login")
            return _with_language(redirect(next_url), user)
    return render(
        request, "accounts/login.html", {"form": form, "error": error, "next": request.GET.get("next", "")}
    )


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


@login_not_required
def otp_view(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(PENDING)
    user = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        return redirect("accounts:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or do_create_totp_device(
            user, actor=user
        )
    form = OtpForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        ok = do_confirm_totp_device(device, token, actor=user) if enrolling else device.verify_token(token)
        if ok:
            next_url = request.session.get(NEXT, "/")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            otp_login(request, device)
            record(user, "auth.login", detail={"otp": True})
            return _with_language(redirect(next_url), user)
        record(user, "auth.otp_failed")
        error = _("Code incorrect ou expiré.")
    context = {"form": form, "error": error, "enrolling": enrolling}
    if enrolling:
        context.update(qr=_qr_svg(device.config_url), secret=base64.b32encode(device.bin_key).decode())
    return render(request, "accounts/otp.html", context)


def _set_language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE or settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _with_language(response: HttpResponse, user) -> HttpResponse:
    """At login, the language the user chose earlier (on any machine) becomes this browser's."""
    language = StaffProfile.objects.filter(user=user).values_list("language", flat=True).first()
    return _set_language_cookie(response, language) if language else response


@login_not_required
@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """The header's FR / EN switch: a cookie for this browser, and the user's profile when logged in.

    Open to anonymous visitors (the login page has the switch too); it writes nothing on the server
    for them, and is rate-limited per client like the other public forms."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Langue inconnue : choisissez fr ou en."))
    if is_ratelimited(
        request,
        group="language",
        key=lambda _g, _r: client_ip(request) or "unknown",
        rate="60/m",
        method=ALL,
        increment=True,
    ):
        return HttpResponse(_("Trop de demandes : réessayez dans une minute."), status=429)
    if request.user.is_authenticated:
        do_set_language(request.user, language, actor=request.user)
    translation.activate(language)
    return _set_language_cookie(redirect(_safe_next(request, request.POST.get("next"))), language)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(request.user, "auth.logout")
    logout(request)
    return redirect("accounts:login")


def profile_view(request: HttpRequest) -> HttpResponse:
    """The signed-in user's on-call numbers (staff pages go to the mobile by SMS)."""
    from beffroi.accounts.actions import do_update_staff_profile
    from beffroi.accounts.forms import StaffProfileForm
    from beffroi.accounts.selectors import staff_profile

    profile = staff_profile(request.user)
    initial = {"mobile": profile.mobile, "phone": profile.phone} if profile else {}
    form = StaffProfileForm(request.POST or None, initial=initial)
    saved, status = False, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                do_update_staff_profile(
                    request.user,
                    mobile=form.cleaned_data["mobile"],
                    phone=form.cleaned_data["phone"],
                    actor=request.user,
                )
            except UserError as exc:
                for problem in exc.problems:
                    form.add_error(problem.field if problem.field in form.fields else None, problem.message)
                status = 400
            else:
                saved = True
        else:
            status = 400
    return render(request, "accounts/profile.html", {"form": form, "saved": saved}, status=status)
