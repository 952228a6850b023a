"""Permission classes shared by the API's viewsets (built with apps.core.permissions.reads_open_writes_need)."""

from apps.accounts.permissions import is_admin
from apps.core.permissions import reads_open_writes_need

# Configuration: anyone who may read sees it; only admins change it.
AdminOrReadOnly = reads_open_writes_need(is_admin, "Only admins may change the portal's configuration.")

# Uploading plots needs the ingest permission plots.add_plot; reads follow open access.
CanUpload = reads_open_writes_need(
    "plots.add_plot", "Uploading plots needs the permission plots.add_plot (ask an admin for the Detector expert role)."
)
