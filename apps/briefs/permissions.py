"""Who may write a brief, its note, and send it: the shift crew (labelers, the "Shift crew" role),
detector experts and admins. Reading is open like the rest of the portal."""

from __future__ import annotations

from apps.accounts.permissions import is_admin
from apps.accounts.roles import DETECTOR_EXPERT, LABELER

SHIFT_CREW = "Shift crew"
WRITE_MESSAGE = "Writing and sending shift briefs needs the Labeler, Shift crew or Detector expert role."


def can_write(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_admin(user) or user.groups.filter(name__in=(LABELER, SHIFT_CREW, DETECTOR_EXPERT)).exists()
