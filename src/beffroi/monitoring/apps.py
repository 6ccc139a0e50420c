from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "beffroi.monitoring"
    label = "monitoring"
    verbose_name = _("Veille")
    nav_items = [(10, _("Veille"), "monitoring:index", "monitoring.view_indicator")]
    demo_loader = "beffroi.monitoring.demo.load"
    situation = "beffroi.monitoring.situation.summary"
    _view = [
        "monitoring.view_indicator",
        "monitoring.view_observation",
        "monitoring.view_proposal",
        "monitoring.view_threshold",
    ]
    _decide = [
        *_view,
        "monitoring.decide_proposal",
        "monitoring.manage_indicator",
        "monitoring.add_observation",
    ]
    role_permissions = {
        "maire": _decide,
        "cellule_crise": _decide,
        "communication": _view,
        "agent_ccas": _view,
        "lecteur": _view,
        "administrateur": [*_view, "monitoring.add_observation"],
    }

    def ready(self) -> None:
        # Sources (a lower layer) hands its observations over through this extension point.
        # Local: models are not ready when apps.py is imported.
        from beffroi.monitoring.actions import do_ingest_points
        from beffroi.sources.sinks import register_observation_sink

        register_observation_sink(do_ingest_points)
