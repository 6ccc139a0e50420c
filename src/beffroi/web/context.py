from django.conf import settings

from beffroi.web.navigation import nav_for


def beffroi_context(request):
    context: dict[str, object] = {
        "beffroi_version": settings.VERSION,
        "beffroi_mode": settings.MODE,
        # The language of what the commune writes and stores (main courante, proposals, run errors):
        # marked on those texts so that in the English interface readers and screen readers know.
        "content_language": settings.LANGUAGE_CODE.split("-")[0],
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["nav"] = nav_for(request)
    return context
