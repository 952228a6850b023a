"""Account pages that need no other app: revoking one's own API token, and the password reset that says when no
mail server is configured. The account and people pages show labeling grants: apps/labels/people_views.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import PasswordResetDoneView, PasswordResetView
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import ApiToken
from apps.core.permissions import is_authenticated, requires


@requires(is_authenticated)
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    from apps.audit import record
    from apps.audit.models import AuditEntry

    record(request.user, AuditEntry.Action.TOKEN, token, change="revoked")
    messages.success(request, f"Token “{token.name}” revoked: scripts using it are refused from now on.")
    return redirect("account")


@require_http_methods(["GET", "POST"])
def password_reset(request):
    """Django's reset-by-mail page, or, when no mail server is configured, a page that says so (503 on submit)."""
    if settings.EMAIL_CONFIGURED:
        return PasswordResetView.as_view()(request)
    status = 503 if request.method == "POST" else 200
    return render(request, "registration/password_reset_unavailable.html", status=status)


@require_http_methods(["GET"])
def password_reset_done(request):
    if settings.EMAIL_CONFIGURED:
        return PasswordResetDoneView.as_view()(request)
    return redirect("password_reset")
