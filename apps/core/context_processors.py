from django.conf import settings

from apps.core.models import Announcement
from apps.experiments.models import Experiment


def portal(request):
    """What every page's frame needs: experiment switcher, banner, access mode."""
    experiments = list(Experiment.objects.only("id", "name", "slug"))
    slug = request.GET.get("experiment")
    current = next((e for e in experiments if e.slug == slug), experiments[0] if experiments else None)
    return {
        "experiments": experiments,
        "current_experiment": current,
        "announcement": Announcement.current(),
        "open_access": settings.OPEN_ACCESS,
    }
