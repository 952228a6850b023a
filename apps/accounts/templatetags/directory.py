"""``{% load directory %}``: which accounts and roles the directory decides, for the people page."""

from django import template

register = template.Library()


@register.simple_tag
def directory_roles() -> set[str]:
    """Role names the directory's role map manages (empty when LDAP is off)."""
    from apps.accounts.directory import enabled, role_map

    return set(role_map().values()) if enabled() else set()


@register.simple_tag
def directory_user_ids() -> set[int]:
    """Primary keys of directory-managed users (one query for the whole page)."""
    from apps.accounts.models import DirectoryAccount

    return set(DirectoryAccount.objects.values_list("user_id", flat=True))
