"""The experiment a visitor is looking at: the ``experiment`` query parameter, else the last one chosen."""

from __future__ import annotations

from apps.experiments.models import Experiment

SESSION_KEY = "hydra_experiment"


def experiments(request) -> list[Experiment]:
    """Every experiment, fetched once per request (the switcher and the views share it)."""
    if not hasattr(request, "_hydra_experiments"):
        request._hydra_experiments = list(Experiment.objects.only("id", "name", "slug"))
    return request._hydra_experiments


def current_experiment(request) -> Experiment | None:
    """The experiment named in the URL, else the one remembered in the session, else the first."""
    if hasattr(request, "_hydra_current"):
        return request._hydra_current
    known = experiments(request)
    by_slug = {e.slug: e for e in known}
    wanted = request.GET.get("experiment")
    chosen = by_slug.get(wanted) if wanted else None
    session = getattr(request, "session", None)
    if chosen is not None and session is not None and session.get(SESSION_KEY) != chosen.slug:
        session[SESSION_KEY] = chosen.slug
    if chosen is None and session is not None:
        chosen = by_slug.get(session.get(SESSION_KEY))
    if chosen is None and known:
        chosen = known[0]
    request._hydra_current = chosen
    return chosen
