from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.experiments.models import Experiment
from apps.labels.models import Label, LabelClass


class LabelClassSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", queryset=Experiment.objects.all())

    class Meta:
        model = LabelClass
        fields = ["id", "experiment", "name", "colour", "hotkey", "meaning", "excluded_from_training", "order"]
        # Uniqueness (the hotkey one is conditional) is checked in validate().
        validators = []

    def validate(self, attrs):
        candidate = LabelClass(**{**self._current(), **attrs})
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from None
        others = LabelClass.objects.filter(experiment=candidate.experiment)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.filter(name=candidate.name).exists():
            raise serializers.ValidationError({"name": ["this experiment already has a class with this name"]})
        if candidate.hotkey and others.filter(hotkey=candidate.hotkey).exists():
            raise serializers.ValidationError({"hotkey": ["another class of this experiment uses this key"]})
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {f: getattr(self.instance, f) for f in self.Meta.fields if f != "id"}


class LabelSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="label_class.name", read_only=True, help_text="Name of the class.")
    colour = serializers.CharField(source="label_class.colour", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Label
        fields = ["id", "plot", "label_class", "label", "colour", "user", "comment", "created_at"]
        read_only_fields = fields


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "Class id or name."})
class ClassRefField(serializers.Field):
    """A label class id (JSON integer) or name (JSON string, resolved in the plot's experiment)."""

    default_error_messages = {"invalid": "Use a label class id (integer) or name (string)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, int) and not 0 < data < 2**63:
            self.fail("invalid")
        if isinstance(data, str) and not 0 < len(data.strip()) <= 50:
            self.fail("invalid")
        return data.strip() if isinstance(data, str) else data

    def to_representation(self, value):
        return value


class LabelWriteSerializer(serializers.Serializer):
    """One labeling: which plot, which class, and an optional comment."""

    plot = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Plot id.")
    label_class = ClassRefField()
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
