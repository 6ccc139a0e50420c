from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "beffroi.public"
    label = "public"
    verbose_name = _("Site public")
    demo_loader = "beffroi.public.demo.load"

    def ready(self) -> None:
        # Lower apps only send signals: a publication (alerts), a shelter or a public level
        # (core's generic signal). Each schedules one coalesced background rebuild.
        # Local: models are not ready when apps.py is imported.
        from beffroi.alerts.signals import version_published
        from beffroi.core.signals import public_content_changed
        from beffroi.public.tasks import on_public_change

        version_published.connect(on_public_change, dispatch_uid="beffroi_public_site")
        public_content_changed.connect(on_public_change, dispatch_uid="beffroi_public_content")
