"""The admin site: open to the Admin role (as docs/admin.md says), behind the portal's login throttle."""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


def may_use_admin(user) -> bool:
    """Staff as in Django, and every holder of the Admin role: taking the role away closes the admin."""
    from apps.accounts.permissions import is_admin

    return bool(user.is_active and (user.is_staff or is_admin(user)))


class PortalAdminSite(AdminSite):
    site_header = "Hydra portal administration"
    site_title = "Hydra portal"
    index_title = "Experiments, plot types, groups and labels"

    @property
    def login_form(self):
        from apps.accounts.forms import AdminLoginForm

        return AdminLoginForm

    def has_permission(self, request):
        return may_use_admin(request.user)


class PortalAdminConfig(AdminConfig):
    default_site = "apps.accounts.admin_site.PortalAdminSite"
