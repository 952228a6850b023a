"""Audit entries for role changes made anywhere (admin, pages, API, shell).

Other apps record their own changes with ``apps.audit.record()`` (labels: apps/labels/signals.py).
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from apps.audit import record
from apps.audit.middleware import current_user
from apps.audit.models import AuditEntry

User = get_user_model()


@receiver(m2m_changed, sender=User.groups.through)
def roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or (not pk_set and action != "post_clear"):
        return
    from django.contrib.auth.models import Group

    names = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    if reverse:
        # group.user_set.add(...): instance is the group, pk_set the users.
        for user in User.objects.filter(pk__in=pk_set or []):
            record(current_user(), AuditEntry.Action.CHANGE_ROLES, user, **{verb: [instance.name]})
    else:
        record(current_user(), AuditEntry.Action.CHANGE_ROLES, instance, **{verb: names})
