from django.conf import settings

from apps.core.models import Announcement


def portal(request):
    """What every page's frame needs: navigation, banner, access mode (the experiment switcher:
    apps.experiments.context_processors)."""
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match else None
    return {
        "nav_section": here,
        "announcement": Announcement.current(),
        "open_access": settings.OPEN_ACCESS,
    }
