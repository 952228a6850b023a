"""The delivery log: every notification queued, sent or failed, with a retry button for failed ones."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.audit import record
from apps.core.bad_input import BadParameters
from apps.core.pagination import BadCursor, paginate
from apps.core.permissions import requires
from apps.notifications import services
from apps.notifications.models import Channel, Delivery, Status
from apps.notifications.permissions import can_see_deliveries

PAGE_SIZE = 50
ORDER = ("-id",)


deliveries_required = requires(can_see_deliveries, "The delivery log is for admins and detector experts.")


def _filters(request) -> dict:
    problems, chosen = {}, {}
    channel, status = request.GET.get("channel", ""), request.GET.get("status", "")
    if channel:
        if channel not in Channel.values:
            problems["channel"] = [f"One of {', '.join(Channel.values)}."]
        chosen["channel"] = channel
    if status:
        if status not in Status.values:
            problems["status"] = [f"One of {', '.join(Status.values)}."]
        chosen["status"] = status
    pk = request.GET.get("id", "")
    if pk:
        if not pk.isdigit() or len(pk) > 18:
            problems["id"] = ["A delivery number."]
        chosen["pk"] = pk
    source = request.GET.get("source", "").strip()
    if source:
        if len(source) > 100:
            problems["source"] = ["At most 100 characters."]
        chosen["source"] = source
    if problems:
        raise BadParameters(problems)
    return chosen


@require_GET
@deliveries_required
def delivery_log(request):
    chosen = _filters(request)
    rows = Delivery.objects.filter(**chosen)
    try:
        page = paginate(rows, ORDER, request.GET.get("after"), PAGE_SIZE)
    except BadCursor as exc:
        raise BadParameters({"after": [str(exc)]}) from None
    # Counts of the small states only (queued and failed rows are few; sent ones are never counted).
    counts = dict(
        Delivery.objects.filter(status__in=[Status.QUEUED, Status.FAILED])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    params = request.GET.copy()
    params.pop("after", None)
    return render(
        request,
        "notifications/log.html",
        {
            "deliveries": page.rows,
            "next_query": f"?{params.urlencode()}&after={page.next_cursor}" if page.next_cursor else "",
            "params": request.GET,
            "query": params.urlencode(),
            "channels": Channel.choices,
            "statuses": Status.choices,
            "queued": counts.get(Status.QUEUED, 0),
            "failed": counts.get(Status.FAILED, 0),
        },
    )


@require_POST
@deliveries_required
def delivery_retry(request, pk: int):
    delivery = get_object_or_404(Delivery, pk=pk)
    if services.retry(delivery):
        record(request.user, "notification.retry", delivery, target=delivery.spec)
        messages.success(request, f"Delivery {delivery.pk} to {delivery.spec} is queued again.")
    else:
        messages.info(
            request, f"Delivery {delivery.pk} is {delivery.get_status_display().lower()}: only failed ones are retried."
        )
    back = request.POST.get("query", "")
    url = reverse("delivery-log")
    return redirect(f"{url}?{back}" if back and "\n" not in back and "\r" not in back else url)
