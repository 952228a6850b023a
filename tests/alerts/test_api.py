"""The alarm API: reads open, acknowledge and silence for the shift crew, rules for experts."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.roles import DETECTOR_EXPERT, VIEWER
from apps.alerts.choices import RuleKind, State
from apps.alerts.models import Alarm, Rule, Silence
from apps.alerts.permissions import SHIFT_CREW
from tests import factories
from tests.alerts.helpers import Line

pytestmark = pytest.mark.django_db


def api(*roles):
    client = APIClient()
    if roles:
        _, key = factories.api_token(factories.user(roles=roles))
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def firing():
    line = Line()
    line.rule(kind=RuleKind.CONFIRMED_BAD)
    line.verdict("Bad")
    return Alarm.objects.get()


def test_anyone_lists_open_alarms_with_the_expert_to_call(firing):
    answer = api().get("/api/v1/alarms/", {"open": "true"})
    assert answer.status_code == 200
    (row,) = answer.json()["results"]
    assert row["id"] == firing.pk and row["state"] == "firing"
    assert row["plot_type_name"] == "CDC_occupancy" and row["expert_contact"] == "Ann Lee <ann@lab.example>"
    detail = api().get(f"/api/v1/alarms/{firing.pk}/").json()
    assert [e["kind"] for e in detail["events"]][:2] == ["fired", "notified"]
    assert api().get("/api/v1/alarms/", {"state": "nonsense"}).status_code == 400


def test_the_shift_crew_acknowledges_over_the_api_and_a_viewer_may_not(firing):
    refused = api(VIEWER).post(f"/api/v1/alarms/{firing.pk}/acknowledge/", {"comment": "x"}, format="json")
    assert refused.status_code == 403 and "Shift crew" in refused.json()["error"]["message"]
    assert api().post(f"/api/v1/alarms/{firing.pk}/acknowledge/", {}, format="json").status_code == 401
    crew = api(SHIFT_CREW)
    done = crew.post(f"/api/v1/alarms/{firing.pk}/acknowledge/", {"comment": "on it"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == State.ACKNOWLEDGED
    assert done.json()["ack_comment"] == "on it" and done.json()["acknowledged_by"]
    twice = crew.post(f"/api/v1/alarms/{firing.pk}/acknowledge/", {}, format="json")
    assert twice.status_code == 409


def test_silencing_over_the_api_checks_its_input(firing):
    crew = api(SHIFT_CREW)
    bad = crew.post(f"/api/v1/alarms/{firing.pk}/silence/", {"hours": -1, "reason": ""}, format="json")
    assert bad.status_code == 400 and not Silence.objects.exists()
    made = crew.post(f"/api/v1/alarms/{firing.pk}/silence/", {"hours": 2, "reason": "beam off"}, format="json")
    assert made.status_code == 201 and made.json()["plot_type"] == firing.plot_type_id
    active = api().get("/api/v1/alarm-silences/", {"active": "true"}).json()["results"]
    assert [s["reason"] for s in active] == ["beam off"]


def test_experts_write_rules_and_a_wrong_rule_is_refused_with_its_reason():
    line = Line()
    expert = api(DETECTOR_EXPERT)
    body = {"name": "CDC 2 of 3", "plot_type": line.ptype.pk, "kind": "k_of_n", "targets": ["email:shift@lab.example"]}
    made = expert.post("/api/v1/alarm-rules/", body, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["experiment"] == line.exp.slug and made.json()["k"] == 2 and made.json()["n"] == 3
    wrong = expert.post("/api/v1/alarm-rules/", {**body, "targets": ["shift@lab"]}, format="json")
    assert wrong.status_code == 400 and "kind:address" in str(wrong.json())
    no_scope = expert.post("/api/v1/alarm-rules/", {**body, "plot_type": None}, format="json")
    assert no_scope.status_code == 400 and "either a plot type or a plot group" in str(no_scope.json())
    k_over_n = expert.post("/api/v1/alarm-rules/", {**body, "k": 4}, format="json")
    assert k_over_n.status_code == 400 and "k cannot be more than n" in str(k_over_n.json())
    assert api(VIEWER).post("/api/v1/alarm-rules/", body, format="json").status_code == 403
    assert Rule.objects.count() == 1
    assert api().get("/api/v1/alarm-rules/").json()["results"][0]["name"] == "CDC 2 of 3"
