from rest_framework import serializers

from apps.alerts.models import Alarm, AlarmEvent, Rule, Silence, validate_targets


class RuleSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Rule
        fields = ["id", "experiment", *Rule.EDITABLE_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_targets(self, value):
        validate_targets(value)
        return value

    def validate_escalation_targets(self, value):
        validate_targets(value)
        return value

    def validate(self, attrs):
        from django.core.exceptions import ValidationError

        instance = self.instance or Rule()
        probe = Rule(**{f.attname: getattr(instance, f.attname) for f in Rule._meta.concrete_fields})
        for name, value in attrs.items():
            setattr(probe, name, value)
        scope = probe.plot_type or probe.plot_group
        if scope is not None:
            probe.experiment_id = scope.experiment_id
        try:
            probe.clean()
        except ValidationError as exc:
            raise serializers.ValidationError({"detail": exc.messages}) from None
        attrs["experiment_id"] = probe.experiment_id
        return attrs


class AlarmEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AlarmEvent
        fields = ["at", "kind", "actor", "text", "details"]


class AlarmSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    plot_type_name = serializers.CharField(source="plot_type.name", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    expert_contact = serializers.CharField(source="plot_type.expert_contact", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Alarm
        fields = [
            "id",
            "url",
            "experiment",
            "rule",
            "rule_name",
            "plot_type",
            "plot_type_name",
            "expert_contact",
            "reason",
            "severity",
            "state",
            "summary",
            "first_run",
            "last_run",
            "plot",
            "plot_ids",
            "opened_at",
            "last_seen_at",
            "acknowledged_by",
            "acknowledged_at",
            "ack_comment",
            "resolved_at",
            "resolved_by",
            "escalated_at",
            "last_notified_at",
            "notifications",
        ]
        read_only_fields = fields


class AlarmDetailSerializer(AlarmSerializer):
    events = AlarmEventSerializer(many=True, read_only=True)

    class Meta(AlarmSerializer.Meta):
        fields = AlarmSerializer.Meta.fields + ["events"]
        read_only_fields = fields


class AcknowledgeSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SilenceRequestSerializer(serializers.Serializer):
    hours = serializers.FloatField(min_value=0.05, max_value=24 * 31)
    reason = serializers.CharField(max_length=300)
    scope = serializers.ChoiceField(choices=["plot_type", "rule"], default="plot_type")


class SilenceSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Silence
        fields = ["id", "experiment", "rule", "plot_type", "plot_group", "starts_at", "ends_at", "reason", "created_by"]
        read_only_fields = fields
