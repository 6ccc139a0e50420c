from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

COUNTS = "registry.view_counts"


class RegistryConfig(AppConfig):
    name = "beffroi.registry"
    label = "registry"
    verbose_name = _("Registre des personnes vulnérables")
    # Personal data: agent_ccas only, and only once nominated by the mayor with a TOTP session
    # (checked in registry/access.py). The mayor nominates; every role sees counts only.
    role_permissions = {
        "agent_ccas": [
            "registry.view_person",
            "registry.add_person",
            "registry.change_person",
            "registry.delete_person",
            "registry.export_prefect",
            "registry.add_campaign",
            "registry.change_campaign",
            "registry.view_campaign",
            COUNTS,
        ],
        "maire": ["registry.add_nomination", "registry.view_nomination", "registry.view_accesslog", COUNTS],
        "administrateur": [
            "registry.add_nomination",
            "registry.view_nomination",
            "registry.view_accesslog",
            COUNTS,
        ],
        "cellule_crise": [COUNTS],
        "communication": [COUNTS],
        "lecteur": [COUNTS],
    }
    nav_items = [(40, _("Registre"), "registry:index", COUNTS)]
    demo_loader = "beffroi.registry.demo.load"

    def ready(self) -> None:
        # Crossing (a lower layer) shows registry counts through its extension point, never by
        # importing the registry; what is released is decided here.
        # Local: models are not ready when apps.py is imported.
        from beffroi.crossing.contributions import register_commune_counts, register_count_layer
        from beffroi.registry import checks  # noqa: F401 - registers the system checks
        from beffroi.registry.crossing_layers import registry_commune_counts, registry_count_layer

        register_count_layer("registry", registry_count_layer)
        register_commune_counts("registry", registry_commune_counts)
