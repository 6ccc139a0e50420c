from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs):
    # Roles follow the code: after every migrate, groups carry exactly the declared permissions.
    # post_migrate fires once per app; permissions exist for all apps only after the last one.
    from django.apps import apps

    from beffroi.accounts.roles import sync_roles

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is with_models[-1]:
        sync_roles()


class AccountsConfig(AppConfig):
    name = "beffroi.accounts"
    label = "accounts"
    verbose_name = "Comptes"
    nav_items = [(95, _("Mon profil"), "accounts:profile", None)]
    role_permissions = {
        "administrateur": [
            "auth.view_user",
            "auth.add_user",
            "auth.change_user",
            "accounts.add_apitoken",
            "accounts.view_staffprofile",
            "accounts.change_staffprofile",
            "core.view_audit",
        ],
        "maire": ["core.view_audit", "auth.view_user"],
    }

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, dispatch_uid="beffroi_sync_roles")
