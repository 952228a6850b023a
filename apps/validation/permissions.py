"""Who may start validation work: detector experts and admins (the plot-type change permission)."""

from apps.accounts.permissions import is_admin
from apps.core.permissions import reads_open_writes_need, requires

RUN_ROLE = "ask an admin for the Detector expert role."


def may_run(user) -> bool:
    """Maps, model training, reports and thresholds: plots.change_plottype (Detector expert, Admin)."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_perm("plots.change_plottype")))


def may_simulate(user) -> bool:
    """Making simulated plots adds plots and labels: plots.add_plot (Detector expert, Admin)."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_perm("plots.add_plot")))


def run_required(check, what: str):
    """The validation forms: a logged-in user without ``check`` goes back to the validation page with
    a message (anonymous visitors log in first), through the portal's one page decorator."""
    return requires(check, f"You may not {what}: {RUN_ROLE}", refuse_to="validation")


# The API: reads follow open access; starting validation work needs may_run.
MayRunOrReadOnly = reads_open_writes_need(
    may_run, "Validating campaigns and changing thresholds needs the Detector expert or Admin role."
)
