"""Who may start validation work: detector experts and admins (the plot-type change permission)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect

from apps.accounts.permissions import is_admin


def may_run(user) -> bool:
    """Maps, model training, reports and thresholds: plots.change_plottype (Detector expert, Admin)."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_perm("plots.change_plottype")))


def may_simulate(user) -> bool:
    """Making simulated plots adds plots and labels: plots.add_plot (Detector expert, Admin)."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_perm("plots.add_plot")))


def requires(check, what: str):
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                messages.error(request, f"You may not {what}: ask an admin for the Detector expert role.")
                return redirect("validation")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
