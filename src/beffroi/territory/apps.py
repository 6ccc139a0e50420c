from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "beffroi.territory"
    label = "territory"
    verbose_name = "Territoire"
    role_permissions = {
        role: ["territory.view_commune"]
        for role in ("maire", "cellule_crise", "communication", "agent_ccas", "lecteur", "administrateur")
    } | {"administrateur": ["territory.view_commune", "territory.manage_territory"]}
