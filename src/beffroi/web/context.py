from django.conf import settings

from beffroi.web.navigation import nav_for


def beffroi_context(request):
    context: dict[str, object] = {
        "beffroi_version": settings.VERSION,
        "beffroi_mode": settings.MODE,
        # the language of text stored for the territory (source run errors...), whatever the page's:
        # templates mark such text with lang="{{ content_language }}"
        "content_language": settings.LANGUAGE_CODE,
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["nav"] = nav_for(request)
    return context
