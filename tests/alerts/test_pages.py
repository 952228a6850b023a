"""The alarm pages: list order and filters, the alarm page's actions, the rule form, and who may do what."""

import pytest
from django.test import Client

from apps.accounts.roles import ADMIN, DETECTOR_EXPERT, LABELER, VIEWER
from apps.alerts.choices import RuleKind, State
from apps.alerts.models import Alarm, Rule, Silence
from apps.alerts.permissions import SHIFT_CREW
from apps.audit.models import AuditEntry
from tests import factories
from tests.alerts.helpers import Line

pytestmark = pytest.mark.django_db


def client_for(*roles):
    client = Client()
    client.force_login(factories.user(roles=roles))
    return client


@pytest.fixture
def alarms():
    """Three plot types: one firing, one acknowledged, one resolved alarm."""
    firing = Line(name="CDC_a")
    acked, resolved = Line(firing.exp, name="FDC_b"), Line(firing.exp, name="BCAL_c")
    for line in (firing, acked, resolved):
        line.rule(kind=RuleKind.CONFIRMED_BAD, clear_after=1, flicker_changes=0)
        line.verdict("Bad")
    from apps.alerts import services

    services.acknowledge(Alarm.objects.get(plot_type=acked.ptype), factories.user(), "looking")
    resolved.verdict("Good")
    return firing, acked, resolved


def test_the_list_shows_firing_then_acknowledged_then_resolved(alarms):
    firing, acked, resolved = alarms
    page = Client().get("/alarms/", {"experiment": firing.exp.slug})
    assert page.status_code == 200
    html = page.content.decode()
    listed = html.split('id="al-list"')[1]
    assert listed.index("CDC_a") < listed.index("FDC_b") < listed.index("BCAL_c")
    assert Alarm.objects.get(plot_type=resolved.ptype).state == State.RESOLVED
    assert "1 firing" in html and "1 acknowledged" in html


def test_the_list_filters_by_state_and_answers_bad_filters_with_400():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD)
    line.verdict("Bad")
    client = Client()
    shown = client.get("/alarms/", {"experiment": line.exp.slug, "state": "firing"})
    assert line.ptype.name in shown.content.decode()
    none = client.get("/alarms/", {"experiment": line.exp.slug, "state": "resolved"})
    assert line.ptype.name not in none.content.decode().split('id="al-list"')[1]
    bad = client.get("/alarms/", {"state": "burning"})
    assert bad.status_code == 400 and "burning" in bad.content.decode()
    group = factories.plot_group(line.exp, "Tracking", types=[line.ptype])
    by_group = client.get("/alarms/", {"experiment": line.exp.slug, "group": group.pk})
    assert line.ptype.name in by_group.content.decode().split('id="al-list"')[1]


def test_the_shift_crew_acknowledges_with_a_comment_and_it_is_audited():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD)
    line.verdict("Bad")
    alarm = Alarm.objects.get()
    client = client_for(SHIFT_CREW)
    answer = client.post(f"/alarms/{alarm.pk}/acknowledge", {"comment": "HV trip, expert called"})
    assert answer.status_code == 302
    alarm.refresh_from_db()
    assert alarm.state == State.ACKNOWLEDGED and alarm.ack_comment == "HV trip, expert called"
    assert AuditEntry.objects.filter(action="alarm.acknowledge", object_id=str(alarm.pk)).exists()
    page = client.get(f"/alarms/{alarm.pk}/").content.decode()
    assert "HV trip, expert called" in page and "Acknowledged" in page
    again = client.post(f"/alarms/{alarm.pk}/acknowledge", {"comment": "twice"})
    assert again.status_code == 409 and "only a firing alarm" in again.content.decode()


def test_an_admin_gives_the_shift_crew_role_on_the_people_page_and_the_labeler_may_then_acknowledge():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD)
    line.verdict("Bad")
    alarm = Alarm.objects.get()
    labeler = factories.user(roles=(LABELER,))
    crew = Client()
    crew.force_login(labeler)
    assert crew.post(f"/alarms/{alarm.pk}/acknowledge", {"comment": "x"}).status_code == 403
    alarm.refresh_from_db()
    assert alarm.state == State.FIRING and alarm.acknowledged_by is None
    admin = client_for(ADMIN)
    people = admin.get("/people/").content.decode()
    assert f'value="{SHIFT_CREW}"' in people
    saved = admin.post(f"/people/{labeler.pk}", {"action": "roles", "roles": [LABELER, SHIFT_CREW]})
    assert saved.status_code == 302
    assert set(labeler.groups.values_list("name", flat=True)) == {LABELER, SHIFT_CREW}
    assert AuditEntry.objects.filter(action="roles.change", object_id=str(labeler.pk)).exists()
    answer = crew.post(f"/alarms/{alarm.pk}/acknowledge", {"comment": "on it"})
    assert answer.status_code == 302
    alarm.refresh_from_db()
    assert alarm.state == State.ACKNOWLEDGED and alarm.acknowledged_by == labeler


def test_viewers_and_labelers_cannot_acknowledge_or_silence():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD)
    line.verdict("Bad")
    alarm = Alarm.objects.get()
    for roles in ((VIEWER,), (LABELER,)):
        client = client_for(*roles)
        assert client.post(f"/alarms/{alarm.pk}/acknowledge", {"comment": "x"}).status_code == 403
        assert (
            client.post(f"/alarms/{alarm.pk}/silence", {"hours": "4", "scope": "rule", "reason": "x"}).status_code
            == 403
        )
    assert Client().post(f"/alarms/{alarm.pk}/acknowledge").status_code in (302, 403)
    alarm.refresh_from_db()
    assert alarm.state == State.FIRING and not Silence.objects.exists()


def test_a_silence_needs_a_reason_and_is_shown_on_the_alarm():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD)
    line.verdict("Bad")
    alarm = Alarm.objects.get()
    client = client_for(DETECTOR_EXPERT)
    missing = client.post(f"/alarms/{alarm.pk}/silence", {"hours": "4", "scope": "plot_type", "reason": ""})
    assert missing.status_code == 400 and not Silence.objects.exists()
    client.post(f"/alarms/{alarm.pk}/silence", {"hours": "8", "scope": "plot_type", "reason": "access to the hall"})
    held = Silence.objects.get()
    assert held.plot_type == line.ptype and held.reason == "access to the hall"
    page = client.get(f"/alarms/{alarm.pk}/").content.decode()
    assert "access to the hall" in page
    assert f"/notifications/?source=alarm%3A{alarm.pk}" in page  # experts read the delivery log
    assert "delivery log" not in client_for(VIEWER).get(f"/alarms/{alarm.pk}/").content.decode()


def test_an_expert_writes_a_group_rule_and_bad_input_is_explained():
    line = Line()
    group = factories.plot_group(line.exp, "Calorimeters", types=[line.ptype])
    client = client_for(DETECTOR_EXPERT)
    client.get("/alarms/", {"experiment": line.exp.slug})  # remember the experiment
    form = client.get("/alarms/rules/new")
    assert form.status_code == 200 and "Calorimeters" in form.content.decode()
    data = {
        "name": "Calorimeters 2 of 3",
        "enabled": "on",
        "plot_group": group.pk,
        "kind": RuleKind.K_OF_N,
        "severity": "major",
        "k": 2,
        "n": 3,
        "streak": 3,
        "stale_minutes": 30,
        "live_minutes": 60,
        "clear_after": 2,
        "flicker_changes": 3,
        "flicker_window": 5,
        "notify_expert": "on",
        "targets": "email:shift@lab.example\nwebhook:https://chat.example/hook",
        "escalation_targets": "",
    }
    bad = client.post("/alarms/rules/new", {**data, "targets": "shift@lab.example"})
    assert bad.status_code == 400 and "a target is kind:address" in bad.content.decode()
    both = client.post("/alarms/rules/new", {**data, "plot_type": line.ptype.pk})
    assert both.status_code == 400 and "either a plot type or a plot group" in both.content.decode()
    assert client.post("/alarms/rules/new", data).status_code == 302
    rule = Rule.objects.get()
    assert rule.targets == ["email:shift@lab.example", "webhook:https://chat.example/hook"]
    assert rule.plot_group == group and rule.experiment == line.exp
    assert "Calorimeters 2 of 3" in client.get("/alarms/rules/").content.decode()
    assert client_for(LABELER).get("/alarms/rules/new").status_code == 403
