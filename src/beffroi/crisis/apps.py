from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_READ = [
    "crisis.view_crisis",
    "crisis.view_logentry",
    "crisis.view_task",
    "crisis.view_staffing",
    "crisis.view_reflexsheet",
    "crisis.view_contact",
    "crisis.view_resource",
    "crisis.view_shelter",
]
_WRITE = [
    "crisis.add_logentry",
    "crisis.add_task",
    "crisis.change_task",
    "crisis.add_staffing",
    "crisis.change_staffing",
    "crisis.add_handover",
    "crisis.add_reflexrun",
    "crisis.change_shelter",
    "crisis.change_resource",
    "crisis.add_resourceloan",
    "crisis.run_exercise",
]
_REFERENCE = [
    "crisis.add_reflexsheet",
    "crisis.change_reflexsheet",
    "crisis.add_contact",
    "crisis.change_contact",
    "crisis.delete_contact",
    "crisis.add_resource",
    "crisis.add_shelter",
]

# The register of sheltered people is personal data: the mayor and the crisis cell only.
_REGISTER = ["crisis.view_shelterentry", "crisis.add_shelterentry", "crisis.change_shelterentry"]


class CrisisConfig(AppConfig):
    name = "beffroi.crisis"
    label = "crisis"
    verbose_name = _("Crise")
    nav_items = [(20, _("Crise"), "crisis:index", "crisis.view_crisis")]
    demo_loader = "beffroi.crisis.demo.load"
    situation = "beffroi.crisis.situation.summary"
    role_permissions = {
        "maire": _READ
        + _WRITE
        + _REFERENCE
        + _REGISTER
        + ["crisis.open_crisis", "crisis.close_crisis", "crisis.escalate_crisis"],
        "cellule_crise": _READ + _WRITE + _REFERENCE + _REGISTER,
        "communication": _READ,
        "lecteur": _READ,
        "administrateur": _READ + _REFERENCE,
    }

    def ready(self) -> None:
        # Monitoring (a lower layer) calls the crisis app only through these extension points.
        # Local: models are not ready when apps.py is imported.
        from beffroi.crisis import proposals
        from beffroi.crisis.map_layer import crisis_map_layer
        from beffroi.monitoring.contributed_layers import register_map_layer

        proposals.register()
        register_map_layer("crisis", crisis_map_layer)
