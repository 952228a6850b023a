"""Roles are Django groups with permissions; labeling rights are per plot type or plot group."""

ADMIN = "Admin"
DETECTOR_EXPERT = "Detector expert"
LABELER = "Labeler"
VIEWER = "Viewer"
# Acknowledges and silences alarms; its alarm permissions come from the alerts app's migration.
SHIFT_CREW = "Shift crew"
# Every role an admin can give on the people page, the API and the directory's role map.
ROLES = [ADMIN, DETECTOR_EXPERT, SHIFT_CREW, LABELER, VIEWER]

_VIEW = [
    "experiments.view_experiment",
    "experiments.view_runperiod",
    "experiments.view_run",
    "experiments.view_campaign",
    "plots.view_plottype",
    "plots.view_plotgroup",
    "plots.view_plot",
    "labels.view_labelclass",
    "labels.view_label",
    "jobs.view_job",
]
_LABEL = ["labels.add_label"]
_EXPERT = ["plots.change_plottype", "plots.add_plot", "labels.change_labelclass"]

# Admins get every permission of the portal's apps and of auth (see the migration).
ROLE_PERMISSIONS = {
    VIEWER: _VIEW,
    LABELER: _VIEW + _LABEL,
    DETECTOR_EXPERT: _VIEW + _LABEL + _EXPERT,
}
ADMIN_APPS = [
    "experiments",
    "plots",
    "labels",
    "jobs",
    "core",
    "accounts",
    "auth",
    "monitoring",
    "wiki",
    "audit",
    "validation",
    "operations",
    "notifications",
    "alerts",
    "briefs",
]


def sync_admin_role(**kwargs) -> None:
    """Give the Admin role every permission of the portal's apps, including apps added later."""
    from django.contrib.auth.models import Group, Permission

    admin = Group.objects.filter(name=ADMIN).first()
    if admin is not None:
        admin.permissions.add(*Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
