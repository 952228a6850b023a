"""Sensitive actions leave an audit entry naming who did what."""

import pytest
from django.contrib.auth.models import Group

from apps.audit.models import AuditEntry
from apps.labels.models import LabelingGrant
from apps.labels.services import apply_labels, erase_labels
from tests import factories

pytestmark = pytest.mark.django_db


def entries(action):
    return list(AuditEntry.objects.filter(action=action))


def test_adding_and_removing_a_role_is_audited():
    user = factories.user("carol")
    user.groups.add(Group.objects.get(name="Labeler"))
    user.groups.remove(Group.objects.get(name="Labeler"))
    changes = [e.details for e in entries(AuditEntry.Action.CHANGE_ROLES)]
    assert {"added": ["Labeler"]} in changes
    assert {"removed": ["Labeler"]} in changes


def test_changing_a_role_in_the_admin_names_the_admin(admin_client, admin_user):
    user = factories.user("dan")
    page = admin_client.get(f"/admin/auth/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list | tuple)}
    data.update(
        username="dan",
        groups=[Group.objects.get(name="Viewer").pk],
        date_joined_0=user.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=user.date_joined.strftime("%H:%M:%S"),
        is_active="on",
        **{
            "labeling_grants-TOTAL_FORMS": "0",
            "labeling_grants-INITIAL_FORMS": "0",
        },
    )
    data.pop("password", None)
    data.pop("last_login", None)
    response = admin_client.post(f"/admin/auth/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.CHANGE_ROLES, object_id=str(user.pk)).last()
    assert entry.actor == admin_user
    assert entry.details == {"added": ["Viewer"]}


def test_granting_and_revoking_labeling_rights_is_audited():
    exp = factories.experiment()
    grant = LabelingGrant.objects.create(user=factories.user(), plot_type=factories.plot_type(exp))
    grant.delete()
    assert [e.details["change"] for e in entries(AuditEntry.Action.CHANGE_GRANTS)] == ["deleted", "created"]


def test_overwriting_and_erasing_labels_is_audited_but_a_first_label_is_not():
    exp = factories.experiment()
    plot = factories.plot(factories.plot_type(exp))
    good, bad = factories.label_class(exp, "Good"), factories.label_class(exp, "Bad")
    expert = factories.user()
    apply_labels([(plot, good)], user=expert)
    assert entries(AuditEntry.Action.OVERWRITE_LABELS) == []
    apply_labels([(plot, bad)], user=expert)
    (entry,) = entries(AuditEntry.Action.OVERWRITE_LABELS)
    assert entry.actor == expert
    assert entry.details["changes"] == [{"plot": plot.pk, "from": good.pk, "to": bad.pk}]
    erase_labels([plot], user=expert)
    assert entries(AuditEntry.Action.ERASE_LABELS)[0].details["plots"] == [plot.pk]


def test_the_audit_log_is_read_only_in_the_admin(admin_client):
    factories.user().groups.add(Group.objects.get(name="Viewer"))
    assert admin_client.get("/admin/audit/auditentry/").status_code == 200
    assert admin_client.get("/admin/audit/auditentry/add/").status_code == 403
    assert admin_client.get("/admin/audit/auditentry/?action=roles.change").status_code == 200


def test_activating_and_retiring_models_and_editing_thresholds_are_audited():
    from apps.monitoring import registry

    factories.restore_roles()
    factories.grant_monitoring_roles()
    exp = factories.experiment()
    pt = factories.plot_type(exp, "CDC_occupancy")
    expert = factories.user("expert-a", roles=["Detector expert"])
    first, second = factories.classifier_model(pt), factories.classifier_model(pt)
    registry.activate(first, expert)
    registry.activate(second, expert)
    registry.set_threshold(second, "Bad", 0.8, expert)
    registry.deactivate(pt, expert)
    activations = entries(AuditEntry.Action.ACTIVATE_MODEL)
    assert [(e.object_id, e.details["previous"]) for e in reversed(activations)] == [
        (str(first.pk), None),
        (str(second.pk), first.pk),
    ]
    (threshold,) = entries(AuditEntry.Action.EDIT_THRESHOLDS)
    assert threshold.actor == expert and threshold.details["value"] == 0.8
    (retired,) = entries(AuditEntry.Action.RETIRE_MODEL)
    assert retired.object_id == str(second.pk)
