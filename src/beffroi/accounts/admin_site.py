"""Django's admin behind the second factor.

The admin edits every account, role and nomination: like the registry, it needs a session
confirmed with a TOTP code. ``VerifiedAdminSite`` is django-otp's site (``has_permission`` also
asks ``user.is_verified()``) whose login page is Beffroi's own, so a logged-in but unconfirmed
administrator is sent through Beffroi's login and its TOTP step, never through a second form.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class VerifiedAdminSite(OTPAdminSite):
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("accounts:login"))
