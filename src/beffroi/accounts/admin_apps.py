"""Django's admin installed with Beffroi's TOTP-guarded site (``admin_site.VerifiedAdminSite``).

Kept apart from the site's module: an AppConfig module is imported before the models are ready.
"""

from django.contrib.admin.apps import AdminConfig


class VerifiedAdminConfig(AdminConfig):
    """Installed in place of ``django.contrib.admin``: ``admin.site`` is then a ``VerifiedAdminSite``."""

    default_site = "beffroi.accounts.admin_site.VerifiedAdminSite"
