"""The user's own account page (roles, labeling rights, API tokens) and the admins' people page (roles and
labeling grants per user). They live in labels because grants on plot types and groups are labels' own."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import ApiToken
from apps.accounts.permissions import is_admin
from apps.accounts.roles import ADMIN, ROLES
from apps.core.integers import is_out_of_range
from apps.core.permissions import is_authenticated, requires
from apps.labels.models import LabelingGrant
from apps.plots.models import PlotGroup, PlotType

# A new key waits in the session for the one page that shows it: the POST answers with a redirect,
# so reloading the page cannot issue a second token.
NEW_KEY = "account_new_token_key"


@requires(is_authenticated)
@require_http_methods(["GET", "POST"])
def account(request):
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()[:100]
        if not name:
            messages.error(request, "Give the token a name, e.g. 'CI uploads'.")
        else:
            token, request.session[NEW_KEY] = ApiToken.issue(request.user, name)
            from apps.audit import record
            from apps.audit.models import AuditEntry

            record(request.user, AuditEntry.Action.TOKEN, token, change="created")
        return redirect("account")
    grants = LabelingGrant.objects.filter(user=request.user).select_related("plot_type", "plot_group")
    group_grants = LabelingGrant.objects.filter(group__in=request.user.groups.all()).select_related(
        "plot_type", "plot_group", "group"
    )
    return render(
        request,
        "labels/account.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user),
            "new_key": request.session.pop(NEW_KEY, None),
            "roles": request.user.groups.order_by("name"),
            "grants": list(grants) + list(group_grants),
            "labels_everything": is_admin(request.user),
            "nav_section": "account",
        },
    )


def _whole(text: str) -> bool:
    return text.isascii() and text.isdigit() and not is_out_of_range(text)


admin_required = requires(is_admin, "Only admins manage people.")


@require_http_methods(["GET"])
@admin_required
def people(request):
    users = (
        get_user_model()
        .objects.order_by("username")
        .prefetch_related(
            "groups",
            Prefetch("labeling_grants", queryset=LabelingGrant.objects.select_related("plot_type", "plot_group")),
        )
    )
    users = list(users)
    for one in users:  # admins may label every plot type (labels.permissions); groups are prefetched
        one.labels_everything = one.is_superuser or any(g.name == ADMIN for g in one.groups.all())
    return render(
        request,
        "labels/people.html",
        {
            "people": users,
            "roles": ROLES,
            "plot_types": PlotType.objects.select_related("experiment").order_by("experiment__name", "name"),
            "plot_groups": PlotGroup.objects.select_related("experiment").order_by("experiment__name", "name"),
            "nav_section": "people",
        },
    )


@require_POST
@admin_required
def person(request, pk: int):
    """Set a user's roles, add a grant, or remove one (audited through model signals)."""
    user = get_object_or_404(get_user_model(), pk=pk)
    action = request.POST.get("action")
    with transaction.atomic():
        if action == "roles":
            wanted = set(request.POST.getlist("roles")) & set(ROLES)
            current = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
            if user == request.user and ADMIN in current and ADMIN not in wanted:
                messages.error(request, "You cannot take the Admin role from yourself.")
                return redirect("people")
            user.groups.remove(*Group.objects.filter(name__in=current - wanted))
            user.groups.add(*Group.objects.filter(name__in=wanted - current))
            messages.success(request, f"Roles of {user.username}: {', '.join(sorted(wanted)) or 'none'}.")
        elif action == "grant":
            target = request.POST.get("target", "")
            kind, _, ident = target.partition(":")
            model = {"type": PlotType, "group": PlotGroup}.get(kind)
            granted = model.objects.filter(pk=ident).first() if model and _whole(ident) else None
            if granted is None:
                messages.error(request, "Choose a plot type or a plot group to grant.")
                return redirect("people")
            field = "plot_type" if kind == "type" else "plot_group"
            LabelingGrant.objects.get_or_create(user=user, **{field: granted})
            what = granted.name if kind == "type" else f"every plot type in {granted.name}"
            messages.success(request, f"{user.username} may now label {what}.")
        elif action == "revoke":
            grant = get_object_or_404(LabelingGrant, pk=request.POST.get("grant") or 0, user=user)
            grant.delete()
            messages.success(request, f"Grant removed from {user.username}.")
        else:
            messages.error(request, "Unknown action.")
    return redirect("people")
