from rest_framework import serializers

from apps.monitoring import scope
from apps.monitoring.models import Activation, Classification, ClassifierModel
from apps.plots.models import PlotType


class ClassifierModelSerializer(serializers.ModelSerializer):
    plot_type_name = serializers.CharField(source="plot_type.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    is_active = serializers.SerializerMethodField()
    gate = serializers.SerializerMethodField(
        help_text=(
            "The activation gate after training: candidate vs the active model per plot type on the same test "
            "runs, whether it passed, and `worse` (activating it by hand then needs a reason)."
        )
    )
    calibration = serializers.SerializerMethodField(
        help_text="Temperature, calibration and test runs, and the expected share of unconfirmed verdicts."
    )

    class Meta:
        model = ClassifierModel
        fields = [
            "id",
            "plot_type",
            "plot_type_name",
            "plot_types",
            "architecture",
            "version",
            "parent",
            "status",
            "is_active",
            "gate",
            "calibration",
            "hyper_parameters",
            "label_map",
            "input_shape",
            "metrics",
            "thresholds",
            "confusion_matrix",
            "curves",
            "fingerprint",
            "job",
            "error",
            "created_by",
            "created_at",
            "trained_at",
        ]
        read_only_fields = fields

    def get_is_active(self, obj) -> bool:
        active = self.context.get("active_ids")
        if active is None:
            from apps.monitoring.models import ActiveModel

            return ActiveModel.objects.filter(model=obj).exists()
        return obj.pk in active

    def get_gate(self, obj) -> dict | None:
        return (obj.metrics or {}).get("gate")

    def get_calibration(self, obj) -> dict | None:
        return (obj.metrics or {}).get("calibration")


class TrainSerializer(serializers.Serializer):
    plot_type = serializers.PrimaryKeyRelatedField(queryset=PlotType.objects.all())
    scope = serializers.ChoiceField(
        choices=scope.CHOICES,
        default=scope.DEFAULT_SCOPE,
        help_text=(
            "shared (default): one model over every plot type of the experiment (or the plot types in "
            "shared_with); type: a model of this plot type alone."
        ),
    )
    architecture = serializers.CharField(default="compact")
    hyper_parameters = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            "Any of epochs, batch_size, optimizer, learning_rate, lr_schedule, patience, balance, references, "
            "input_shape, validation_fraction, seed, options, target_precision (per class, default "
            '{"Good": 0.99}); the rest take their defaults.'
        ),
    )
    parent = serializers.PrimaryKeyRelatedField(queryset=ClassifierModel.objects.all(), required=False, allow_null=True)
    shared_with = serializers.PrimaryKeyRelatedField(
        queryset=PlotType.objects.all(),
        many=True,
        required=False,
        help_text="With scope shared: only these plot types (besides plot_type), not all of the experiment.",
    )
    force = serializers.BooleanField(default=False, help_text="Train even when the training data is unchanged.")
    activate = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="false: never activate when ready; otherwise where the activation gate lets it.",
    )


class ActivateSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        help_text="Required when the activation gate found the model worse (its `gate.worse`); logged and audited.",
    )

    def validate(self, attrs):
        attrs["note"] = (attrs.get("reason") or "").strip() or (attrs.get("note") or "").strip()
        return attrs


class ThresholdSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="Class name, e.g. Bad.")
    value = serializers.FloatField(min_value=0.0, max_value=1.0)


class ActivationSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Activation
        fields = ["id", "plot_type", "model", "previous", "user", "note", "created_at"]
        read_only_fields = fields


class ClassificationSerializer(serializers.ModelSerializer):
    verdict = serializers.CharField(source="verdict_class.name", read_only=True)
    gradcam_url = serializers.CharField(read_only=True)

    class Meta:
        model = Classification
        fields = [
            "id",
            "plot",
            "plot_type",
            "run_number",
            "model",
            "verdict_class",
            "verdict",
            "confidence",
            "confirmed",
            "scores",
            "gradcam_url",
            "created_at",
        ]
        read_only_fields = fields


class ClassifyRequestSerializer(serializers.Serializer):
    plots = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=100_000,
        help_text="Plot ids.",
    )
    filters = serializers.DictField(
        required=False,
        help_text="Plot filters, as for GET /api/v1/plots/ (experiment, run_min, run_max, plot_type, group...).",
    )

    def validate(self, attrs):
        if ("plots" in attrs) == ("filters" in attrs):
            raise serializers.ValidationError("send either plots (ids) or filters, not both and not neither")
        if "filters" in attrs and not attrs["filters"]:
            raise serializers.ValidationError({"filters": ["give at least one filter, e.g. experiment"]})
        return attrs
