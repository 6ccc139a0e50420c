from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "beffroi.web"
    label = "web"
    verbose_name = "Interface web"
    nav_items = [
        (0, _("Tableau de bord"), "web:dashboard", None),
        (90, _("Journal d'audit"), "web:audit", "core.view_audit"),
    ]
