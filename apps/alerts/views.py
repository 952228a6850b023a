"""Pages: the alarm list, an alarm with its history, and the rules experts write."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.alerts import services
from apps.alerts.choices import State
from apps.alerts.filtersets import AlarmFilterSet
from apps.alerts.forms import AcknowledgeForm, RuleForm, SilenceForm
from apps.alerts.models import Alarm, Rule, Silence
from apps.alerts.permissions import can_acknowledge, can_edit_rules
from apps.audit import record
from apps.core.bad_input import BadParameters
from apps.core.pagination import BadCursor, paginate
from apps.core.permissions import read_required, requires
from apps.experiments.selection import current_experiment
from apps.plots.models import PlotGroup, PlotType

PAGE_SIZE = 50
ORDER = ("state_order", "-id")


def _labeler_link(alarm: Alarm) -> str:
    from django.urls import reverse

    if not alarm.plot_ids:
        return ""
    ids = ",".join(str(i) for i in alarm.plot_ids[:500])
    return f"{reverse('labeler')}?plot_type={alarm.plot_type_id}&mode=editor&ids={ids}"


def _deliveries_link(request, alarm: Alarm) -> str:
    """The notifications' delivery log of this alarm, for those who may read it."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from apps.notifications.permissions import can_see_deliveries

    if not (request.user.is_authenticated and can_see_deliveries(request.user)):
        return ""
    return f"{reverse('delivery-log')}?{urlencode({'source': f'alarm:{alarm.pk}'})}"


@require_GET
@read_required
def alarm_list(request):
    """Firing alarms first, then acknowledged, then resolved; filters by plot type, group, rule, state."""
    experiment = current_experiment(request)
    base = Alarm.objects.filter(experiment=experiment).select_related("plot_type", "rule", "acknowledged_by")
    filterset = AlarmFilterSet(request.GET, queryset=base)
    if not filterset.is_valid():
        raise BadParameters({k: list(v) for k, v in filterset.errors.items()})
    try:
        page = paginate(filterset.qs, ORDER, request.GET.get("after"), PAGE_SIZE)
    except BadCursor as exc:
        raise BadParameters({"after": [str(exc)]}) from None
    counts = dict(
        Alarm.objects.filter(experiment=experiment, state_order__lt=2).values_list("state").annotate(n=Count("id"))
    )
    params = request.GET.copy()
    params.pop("after", None)
    context = {
        "experiment": experiment,
        "alarms": page.rows,
        "next_query": f"?{params.urlencode()}&after={page.next_cursor}" if page.next_cursor else "",
        "filterset": filterset,
        "params": request.GET,
        "states": State.choices,
        "plot_types": PlotType.objects.filter(experiment=experiment, ignored=False).order_by("name")
        if experiment
        else [],
        "groups": PlotGroup.objects.filter(experiment=experiment).order_by("name") if experiment else [],
        "rules": Rule.objects.filter(experiment=experiment).order_by("name") if experiment else [],
        "firing": counts.get(State.FIRING, 0),
        "acknowledged": counts.get(State.ACKNOWLEDGED, 0),
        "silences": Silence.objects.filter(experiment=experiment, ends_at__gt=timezone.now()).select_related(
            "rule", "plot_type", "plot_group", "created_by"
        )[:20],
        "can_acknowledge": can_acknowledge(request.user),
        "can_edit_rules": can_edit_rules(request.user),
    }
    return render(request, "alerts/list.html", context)


def _detail(request, alarm: Alarm, ack_form=None, silence_form=None, status=200):
    held = services.active_silence(alarm.experiment_id, alarm.rule_id, alarm.plot_type_id)
    context = {
        "alarm": alarm,
        "events": alarm.events.select_related("actor").order_by("at", "id"),
        "silence": held,
        "ack_form": ack_form or AcknowledgeForm(),
        "silence_form": silence_form or SilenceForm(),
        "can_acknowledge": can_acknowledge(request.user),
        "labeler_link": _labeler_link(alarm),
        "deliveries_link": _deliveries_link(request, alarm),
        "experiment": alarm.experiment,
    }
    return render(request, "alerts/detail.html", context, status=status)


def _get_alarm(pk: int) -> Alarm:
    return get_object_or_404(
        Alarm.objects.select_related("rule", "plot_type", "plot", "experiment", "acknowledged_by", "resolved_by"),
        pk=pk,
    )


@require_GET
@read_required
def alarm_detail(request, pk: int):
    return _detail(request, _get_alarm(pk))


acknowledger_required = requires(
    can_acknowledge, "Acknowledging and silencing alarms needs the Shift crew or Detector expert role."
)


@require_POST
@acknowledger_required
def alarm_acknowledge(request, pk: int):
    alarm = _get_alarm(pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return _detail(request, alarm, ack_form=form, status=400)
    try:
        services.acknowledge(alarm, request.user, form.cleaned_data["comment"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, alarm, status=409)
    messages.success(request, f"Acknowledged: {alarm.plot_type.name}. Escalation stopped.")
    return redirect(alarm)


@require_POST
@acknowledger_required
def alarm_silence(request, pk: int):
    alarm = _get_alarm(pk)
    form = SilenceForm(request.POST)
    if not form.is_valid():
        return _detail(request, alarm, silence_form=form, status=400)
    scope = {"rule": alarm.rule} if form.cleaned_data["scope"] == "rule" else {"plot_type": alarm.plot_type}
    try:
        held = services.silence(
            alarm.experiment, request.user, form.ends_at(), form.cleaned_data["reason"], alarm=alarm, **scope
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _detail(request, alarm, silence_form=form, status=400)
    messages.success(request, f"Silenced until {timezone.localtime(held.ends_at):%Y-%m-%d %H:%M}.")
    return redirect(alarm)


@require_POST
@acknowledger_required
def alarm_resolve(request, pk: int):
    alarm = _get_alarm(pk)
    try:
        services.resolve(alarm, request.user, request.POST.get("why", "")[:300])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, alarm, status=409)
    messages.success(request, f"Resolved: {alarm.plot_type.name}.")
    return redirect(alarm)


@require_GET
@read_required
def rule_list(request):
    experiment = current_experiment(request)
    rules = (
        Rule.objects.filter(experiment=experiment).select_related("plot_type", "plot_group").order_by("name")
        if experiment
        else []
    )
    return render(
        request,
        "alerts/rules.html",
        {"experiment": experiment, "rules": rules, "can_edit_rules": can_edit_rules(request.user)},
    )


@require_http_methods(["GET", "POST"])
@requires(can_edit_rules, "Writing alarm rules needs the Detector expert role.")
def rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    experiment = rule.experiment if rule else current_experiment(request)
    if experiment is None:
        raise BadParameters({"experiment": ["Create an experiment first."]})
    form = RuleForm(request.POST or None, instance=rule, experiment=experiment)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                saved = form.save(commit=False)
                if saved.created_by_id is None and request.user.is_authenticated:
                    saved.created_by = request.user
                saved.save()
                record(request.user, "alarm.rule", saved, created=rule is None, changed=form.changed_data)
            messages.success(request, f"Rule “{saved.name}” saved.")
            return redirect("alarm-rules")
        return render(
            request, "alerts/rule_form.html", {"form": form, "rule": rule, "experiment": experiment}, status=400
        )
    return render(request, "alerts/rule_form.html", {"form": form, "rule": rule, "experiment": experiment})
