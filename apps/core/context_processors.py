from django.conf import settings

from apps.core.models import Announcement
from apps.core.selection import current_experiment, experiments

# Pages whose content follows the experiment switcher; elsewhere it leads to the dashboard.
SWITCHABLE = {"home", "plot-browser", "group-tree", "labeler"}


def portal(request):
    """What every page's frame needs: experiment switcher, banner, access mode."""
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match else None
    return {
        "experiments": experiments(request),
        "current_experiment": current_experiment(request),
        "switcher_action": request.path if here in SWITCHABLE else "/",
        "nav_section": here,
        "announcement": Announcement.current(),
        "open_access": settings.OPEN_ACCESS,
    }
