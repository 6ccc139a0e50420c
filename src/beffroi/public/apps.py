from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "beffroi.public"
    label = "public"
    verbose_name = _("Site public")
    demo_loader = "beffroi.public.demo.load"

    def ready(self) -> None:
        # The alerts app sits below the public site and only sends a signal after a publication.
        from beffroi.alerts.signals import version_published
        from beffroi.public.site import rebuild_after_publication

        version_published.connect(rebuild_after_publication, dispatch_uid="beffroi_public_site")
