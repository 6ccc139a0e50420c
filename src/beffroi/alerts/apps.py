from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_VIEW = ["alerts.view_alert", "alerts.view_alertversion", "alerts.view_delivery"]
_COMPOSE = _VIEW + [
    "alerts.add_alert",
    "alerts.change_alert",
    "alerts.publish_alert",
    "alerts.change_hazardtemplate",
    "alerts.view_subscriber",
]


class AlertsConfig(AppConfig):
    name = "beffroi.alerts"
    label = "alerts"
    verbose_name = _("Alertes")
    nav_items = [(30, _("Alertes"), "alerts:index", "alerts.view_alert")]
    demo_loader = "beffroi.alerts.demo.load"
    situation = "beffroi.alerts.situation.summary"
    role_permissions = {
        "maire": _COMPOSE + ["alerts.approve_alert"],
        "cellule_crise": _COMPOSE,
        "communication": _COMPOSE,
        "lecteur": _VIEW,
        "administrateur": _VIEW + ["alerts.view_subscriber"],
    }
