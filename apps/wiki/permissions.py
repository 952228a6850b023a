from apps.accounts.permissions import is_admin


def can_edit_docs(user) -> bool:
    """Detector experts (who may change plot types) and admins edit descriptions and answer questions."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_perm("plots.change_plottype")))


def can_ask(user) -> bool:
    return bool(user and user.is_authenticated)
