"""Audit log: ``record(actor, action, obj, **details)`` from anywhere a sensitive change happens."""


def record(actor, action: str, obj=None, **details):
    from apps.audit.models import AuditEntry

    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        details=details,
    )
