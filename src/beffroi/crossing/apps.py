from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ALL_ROLES = ("maire", "cellule_crise", "communication", "agent_ccas", "lecteur", "administrateur")
VIEW = "crossing.view_exposure"
READ_PERMS = [VIEW, "crossing.view_savedcrossing"]
SAVE_PERMS = READ_PERMS + [
    "crossing.add_savedcrossing",
    "crossing.change_savedcrossing",
    "crossing.delete_savedcrossing",
]


class CrossingConfig(AppConfig):
    name = "beffroi.crossing"
    label = "crossing"
    verbose_name = _("Croisements")
    # Every role may see exposure figures; registry people appear as counts only (registry decides).
    role_permissions = {role: list(READ_PERMS) for role in ALL_ROLES} | {
        role: list(SAVE_PERMS) for role in ("maire", "cellule_crise", "administrateur")
    }
    nav_items = [(50, _("Croisements"), "crossing:index", VIEW)]
    demo_loader = "beffroi.crossing.demo.load"
