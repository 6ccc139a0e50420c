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

    def ready(self) -> None:
        # Lower apps (crossing, monitoring) reach the alerts app only through these extension points.
        # Local: models are not ready when apps.py is imported.
        from beffroi.alerts import proposals
        from beffroi.alerts.crossing_layers import subscribers_count_layer
        from beffroi.alerts.staff import do_notify_staff
        from beffroi.crossing.contributions import register_count_layer
        from beffroi.monitoring.paging import register_staff_notifier

        register_count_layer("subscribers", subscribers_count_layer)
        register_staff_notifier(do_notify_staff)
        proposals.register()
