from rest_framework import serializers

from apps.experiments.models import Campaign
from apps.validation.models import EmbeddingSpace, ValidationReport, ValidationResult, ValidationThreshold


class ValidationResultSerializer(serializers.ModelSerializer):
    plot_type_name = serializers.CharField(source="plot_type.name", read_only=True)

    class Meta:
        model = ValidationResult
        fields = [
            "rank",
            "plot_type",
            "plot_type_name",
            "verdict",
            "reason",
            "score",
            "siamese_score",
            "distances",
            "calibration",
            "counts",
            "n_plots",
            "n_reference",
            "worst_plot",
            "reference_plot",
            "plots",
        ]
        read_only_fields = fields


class ValidationReportSerializer(serializers.ModelSerializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all(), help_text="Campaign to validate.")
    reference = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(),
        required=False,
        allow_null=True,
        help_text="Reference campaign; left out, the experiment's newest campaign marked as reference.",
    )
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    reference_name = serializers.CharField(source="reference.name", read_only=True)
    conditions = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Only runs matching this run-condition expression are compared; empty: every run.",
    )
    job = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    def validate_conditions(self, value):
        from apps.experiments.conditions import ConditionError, validate

        try:
            return validate(value)
        except ConditionError as exc:
            raise serializers.ValidationError(str(exc)) from None

    # A plain string: an enum named "status" would collide with the jobs' and models' status enums.
    status = serializers.CharField(read_only=True, help_text="pending, running, ready or failed.")

    class Meta:
        model = ValidationReport
        fields = [
            "id",
            "experiment",
            "campaign",
            "campaign_name",
            "reference",
            "reference_name",
            "reference_chosen_automatically",
            "conditions",
            "auto_update",
            "status",
            "message",
            "summary",
            "job",
            "created_at",
            "computed_at",
        ]
        # An existing (campaign, reference) pair is recomputed, not refused.
        validators = []
        read_only_fields = [
            "experiment",
            "reference_chosen_automatically",
            "status",
            "message",
            "summary",
            "created_at",
            "computed_at",
        ]


class ValidationReportDetailSerializer(ValidationReportSerializer):
    results = ValidationResultSerializer(many=True, read_only=True, help_text="One line per plot type, worst first.")

    class Meta(ValidationReportSerializer.Meta):
        fields = [*ValidationReportSerializer.Meta.fields, "results"]


class EmbeddingSpaceSerializer(serializers.ModelSerializer):
    plot_type_name = serializers.CharField(source="plot_type.name", read_only=True)

    class Meta:
        model = EmbeddingSpace
        fields = [
            "id",
            "plot_type",
            "plot_type_name",
            "method",
            "dim",
            "engine",
            "cluster_method",
            "n_clusters",
            "n_points",
            "info",
            "computed_at",
        ]
        read_only_fields = fields


class MapPointsSerializer(serializers.Serializer):
    """Columns of equal length, one entry per plot on the map."""

    total = serializers.IntegerField(help_text="Plots on the map.")
    downsampled = serializers.BooleanField()
    plot = serializers.ListField(child=serializers.IntegerField())
    x = serializers.ListField(child=serializers.FloatField())
    y = serializers.ListField(child=serializers.FloatField())
    cluster = serializers.ListField(child=serializers.IntegerField())
    outlier_score = serializers.ListField(child=serializers.FloatField())
    mislabel_score = serializers.ListField(child=serializers.FloatField())


class ValidationThresholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = ValidationThreshold
        fields = [
            "id",
            "plot_type",
            "warn_below",
            "fail_below",
            "siamese_warn_below",
            "siamese_fail_below",
            "set_by",
            "updated_at",
        ]
        read_only_fields = ["set_by", "updated_at"]

    def validate(self, attrs):
        merged = {**{k: getattr(self.instance, k) for k in ValidationThreshold.DEFAULTS if self.instance}, **attrs}
        for warn, fail in (("warn_below", "fail_below"), ("siamese_warn_below", "siamese_fail_below")):
            if warn in merged and fail in merged and merged[fail] > merged[warn]:
                raise serializers.ValidationError({fail: ["must not be above " + warn]})
        return attrs
