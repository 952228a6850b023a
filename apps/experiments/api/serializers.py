from django.utils.text import slugify
from rest_framework import serializers

from apps.experiments.condition_values import check_conditions
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
    experiment = serializers.SlugRelatedField(
        slug_field="slug", queryset=Experiment.objects.all(), help_text="Experiment slug (set on create only)."
    )
    run_period = serializers.PrimaryKeyRelatedField(read_only=True)
    run_period_name = serializers.CharField(
        source="run_period.name",
        max_length=100,
        required=False,
        help_text="Run period name; made if new (create only, default 'default').",
    )
    conditions = serializers.JSONField(
        required=False,
        help_text="Run conditions: a flat JSON object of numbers, strings, booleans (null removes a key "
        "on update). PATCH merges into the run's conditions; PUT replaces them.",
    )

    class Meta:
        model = Run
        fields = ["id", "experiment", "number", "run_period", "run_period_name", "started_at", "conditions"]
        validators = []  # (experiment, number) is checked in validate() with a clear message

    def validate_conditions(self, value):
        try:
            return check_conditions(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs):
        if self.instance is not None:
            for fixed in ("experiment", "number", "run_period"):
                given = attrs.get(fixed)
                current = getattr(self.instance, fixed)
                if fixed == "run_period" and given is not None:
                    given = given.get("name")
                    current = current.name
                if given is not None and given != current:
                    raise serializers.ValidationError({fixed: ["cannot change on an existing run"]})
            attrs.pop("experiment", None)
            attrs.pop("number", None)
            attrs.pop("run_period", None)
            return attrs
        if "number" not in attrs:
            raise serializers.ValidationError({"number": ["This field is required."]})
        if Run.objects.filter(experiment=attrs["experiment"], number=attrs["number"]).exists():
            raise serializers.ValidationError(
                {"number": [f"run {attrs['number']} of {attrs['experiment'].slug} exists; PATCH its conditions"]}
            )
        return attrs

    def create(self, validated):
        period_name = (validated.pop("run_period", None) or {}).get("name") or "default"
        period, _ = RunPeriod.objects.get_or_create(experiment=validated["experiment"], name=period_name)
        conditions = {k: v for k, v in (validated.pop("conditions", None) or {}).items() if v is not None}
        return Run.objects.create(run_period=period, conditions=conditions, **validated)

    def update(self, instance, validated):
        if "conditions" in validated:
            given = validated.pop("conditions")
            merged = dict(instance.conditions or {}) if self.partial else {}
            for key, value in given.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            instance.conditions = merged
        for key, value in validated.items():
            setattr(instance, key, value)
        instance.save()
        return instance


class CampaignSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "experiment", "name", "kind", "is_reference", "description", "created_at"]
