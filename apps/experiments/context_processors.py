from apps.experiments.selection import current_experiment, experiments

# Pages whose content follows the experiment switcher; elsewhere it leads to the dashboard.
SWITCHABLE = {"home", "plot-browser", "group-tree", "labeler"}


def switcher(request):
    """The experiment switcher in every page's frame: the experiments, the current one, where it leads."""
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match else None
    return {
        "experiments": experiments(request),
        "current_experiment": current_experiment(request),
        "switcher_action": request.path if here in SWITCHABLE else "/",
    }
