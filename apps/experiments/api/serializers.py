from django.utils.text import slugify
from rest_framework import serializers

from apps.experiments.models import Campaign, Experiment, Run, RunPeriod


class ExperimentSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(max_length=100, required=False, help_text="Made from the name when left out.")

    class Meta:
        model = Experiment
        fields = ["id", "name", "slug", "description", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        slug = attrs.get("slug") or (None if self.instance is not None else slugify(attrs.get("name", ""))[:100])
        if slug is not None:
            clash = Experiment.objects.filter(slug=slug)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if not slug or clash.exists():
                raise serializers.ValidationError({"slug": [f"the slug {slug!r} is taken or empty; choose another"]})
        return attrs


class RunPeriodSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = RunPeriod
        fields = ["id", "experiment", "name", "starts_on", "ends_on"]


class RunSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    run_period_name = serializers.CharField(source="run_period.name", read_only=True)

    class Meta:
        model = Run
        fields = ["id", "experiment", "number", "run_period", "run_period_name", "started_at", "conditions"]


class CampaignSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "experiment", "name", "kind", "is_reference", "description", "created_at"]
