from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ALL_ROLES = ("maire", "cellule_crise", "communication", "agent_ccas", "lecteur", "administrateur")
VIEW_PERMS = ["sources.view_dataset", "sources.view_source"]
MANAGE_PERMS = VIEW_PERMS + ["sources.import_dataset", "sources.manage_sources"]
# Showing a dataset whole to every commune is the intercommunality's call, not one commune's.
ADMIN_PERMS = MANAGE_PERMS + ["sources.mark_territory_wide"]


class SourcesConfig(AppConfig):
    name = "beffroi.sources"
    label = "sources"
    verbose_name = _("Données publiques")
    role_permissions = {role: list(VIEW_PERMS) for role in ALL_ROLES} | {
        "administrateur": list(ADMIN_PERMS),
        "cellule_crise": list(MANAGE_PERMS),
    }
    nav_items = [(60, _("Données"), "sources:index", "sources.view_dataset")]
    demo_loader = "beffroi.sources.demo.load"
    situation = "beffroi.sources.situation.summary"
