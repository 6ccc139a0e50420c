from django.conf import settings

from beffroi.web.navigation import nav_for


def beffroi_context(request):
    context: dict[str, object] = {"beffroi_version": settings.VERSION, "beffroi_mode": settings.MODE}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["nav"] = nav_for(request)
    return context
