from django.urls import reverse
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.filters import MAX_INT
from apps.experiments.models import Experiment
from apps.labels.models import LabelClass
from apps.plots.models import Plot, PlotGroup, PlotType


def absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


class PlotTypeSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", queryset=Experiment.objects.all())
    label_classes = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=LabelClass.objects.all(),
        help_text="Ids of the classes valid for this type; empty means all of the experiment's.",
    )
    groups = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Groups that hold it directly.")

    class Meta:
        model = PlotType
        fields = [
            "id",
            "experiment",
            "name",
            "detector",
            "description",
            "expert_contact",
            "file_type",
            "chunked",
            "ignored",
            "collect_fraction",
            "label_classes",
            "groups",
            "reference_plot",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        experiment = attrs.get("experiment") or getattr(self.instance, "experiment", None)
        foreign = [c.name for c in attrs.get("label_classes", []) if c.experiment_id != experiment.pk]
        if foreign:
            raise serializers.ValidationError({"label_classes": [f"not classes of {experiment}: {', '.join(foreign)}"]})
        reference = attrs.get("reference_plot")
        if reference is not None and (self.instance is None or reference.plot_type_id != self.instance.pk):
            raise serializers.ValidationError({"reference_plot": ["the reference must be a plot of this type"]})
        return attrs


class PlotGroupSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", queryset=Experiment.objects.all())
    slug = serializers.SlugField(max_length=200, required=False, help_text="Made from the name when left out.")
    plot_types = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=PlotType.objects.all(), help_text="Types directly in this group."
    )
    parents = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=PlotGroup.objects.all(), help_text="Super groups this group is in."
    )
    children = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Groups directly inside.")
    all_plot_type_ids = serializers.SerializerMethodField(
        help_text="Every plot type in this group or in any group below it."
    )

    class Meta:
        model = PlotGroup
        fields = [
            "id",
            "experiment",
            "name",
            "slug",
            "kind",
            "description",
            "plot_types",
            "parents",
            "children",
            "all_plot_type_ids",
        ]
        # (experiment, slug) uniqueness is checked in validate(), where a slug made from the name is known.
        validators = []

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_all_plot_type_ids(self, group) -> list[int]:
        closure = self.context.get("type_closure")
        if closure is None or group.pk not in closure:
            return sorted(group.all_plot_types().values_list("id", flat=True))
        return sorted(closure[group.pk])

    def validate(self, attrs):
        experiment = attrs.get("experiment") or getattr(self.instance, "experiment", None)
        for field in ("plot_types", "parents"):
            foreign = [str(o) for o in attrs.get(field, []) if o.experiment_id != experiment.pk]
            if foreign:
                raise serializers.ValidationError({field: [f"not of {experiment}: {', '.join(foreign)}"]})
        if self.instance is not None and "parents" in attrs:
            self.instance.check_parents([p.pk for p in attrs["parents"]])
        name = attrs.get("name") or getattr(self.instance, "name", "")
        slug = attrs.get("slug") or (None if self.instance is not None else slugify(name)[:200])
        if slug:
            clash = PlotGroup.objects.filter(experiment=experiment, slug=slug)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"slug": ["a group with this slug already exists"]})
        return attrs


class PlotSerializer(serializers.ModelSerializer):
    """A plot with where it comes from, its current label and the URLs of its image and thumbnail."""

    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    plot_type_name = serializers.CharField(source="plot_type.name", read_only=True)
    detector = serializers.CharField(source="plot_type.detector", read_only=True)
    run = serializers.IntegerField(source="run_number", read_only=True, help_text="Run number (0 = simulated).")
    run_period_name = serializers.CharField(source="run_period.name", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    label = serializers.CharField(
        source="label_class.name", read_only=True, allow_null=True, help_text="Current label, or null."
    )
    verdict = serializers.CharField(
        source="verdict_class.name",
        read_only=True,
        allow_null=True,
        help_text="The active model's newest verdict (a class name), or null when not classified.",
    )
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(help_text="The image under a name with run and plot type.")

    class Meta:
        model = Plot
        fields = [
            "id",
            "experiment",
            "plot_type",
            "plot_type_name",
            "detector",
            "run",
            "run_period",
            "run_period_name",
            "campaign",
            "campaign_name",
            "chunk",
            "label_class",
            "label",
            "labeled_at",
            "verdict_class",
            "verdict",
            "verdict_confidence",
            "verdict_confirmed",
            "image_url",
            "thumbnail_url",
            "download_url",
            "sha256",
            "size_bytes",
            "width",
            "height",
            "original_path",
            "ingested_at",
            "training_weight",
            "simulated_failure",
        ]
        read_only_fields = fields

    def get_image_url(self, plot) -> str:
        return absolute(self.context.get("request"), plot.image_url)

    def get_thumbnail_url(self, plot) -> str:
        return absolute(self.context.get("request"), plot.thumbnail_url)

    def get_download_url(self, plot) -> str:
        return absolute(self.context.get("request"), reverse("plot-image", args=[plot.pk]) + "?download")


def _int_field(**kwargs):
    return serializers.IntegerField(min_value=0, max_value=MAX_INT, **kwargs)


def _training_weight_field():
    return serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        default=1,
        help_text="Training weight of new plots: 0 keeps them for testing only, n repeats them n times in training.",
    )


class PlotUploadSerializer(serializers.Serializer):
    """One image and the slot it fills (multipart/form-data)."""

    image = serializers.FileField(
        allow_empty_file=True, help_text="PNG, JPEG, GIF or WebP, at most HYDRA_MAX_IMAGE_BYTES."
    )
    experiment = serializers.SlugRelatedField(
        slug_field="slug", queryset=Experiment.objects.all(), help_text="Experiment slug."
    )
    plot_type = serializers.CharField(max_length=200, help_text="Plot type name, e.g. CDC_straw_occupancy.")
    run = _int_field(help_text="Run number (0 = simulated).")
    run_period = serializers.CharField(
        max_length=100, required=False, default="default", help_text="Run period of a new run (ignored for known runs)."
    )
    campaign = serializers.CharField(max_length=100, required=False, default="online", help_text="Campaign name.")
    chunk = _int_field(required=False, default=0, help_text="Chunk number (0 when not chunked).")
    create = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Create the plot type, run and campaign on first sight; false rejects unknown ones with 400.",
    )
    training_weight = _training_weight_field()


class BulkUploadSerializer(serializers.Serializer):
    """Several images and/or one zip archive (multipart/form-data)."""

    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        help_text="Image files (repeat the field). Names follow the Hydra layout, see `paths`.",
    )
    paths = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        help_text=(
            "Relative path of each image, in the same order (multipart file names lose their folders), "
            "e.g. RunPeriod-2021-08/Run080464/RF_TOF_0037.png. Without it the file name is used."
        ),
    )
    archive = serializers.FileField(required=False, help_text="A .zip of images laid out like a Hydra directory.")
    experiment = serializers.SlugRelatedField(
        slug_field="slug", queryset=Experiment.objects.all(), help_text="Experiment slug."
    )
    campaign = serializers.CharField(max_length=100, required=False, default="online", help_text="Campaign name.")
    run = _int_field(required=False, help_text="Run number for names without a RunNNNNNN folder.")
    run_period = serializers.CharField(
        max_length=100, required=False, default="default", help_text="Run period for names without one."
    )
    create = serializers.BooleanField(
        required=False, default=True, help_text="Create plot types, runs and campaigns on first sight."
    )
    training_weight = _training_weight_field()

    def validate(self, attrs):
        images, paths = attrs.get("images", []), attrs.get("paths")
        if not images and not attrs.get("archive"):
            raise serializers.ValidationError({"images": ["send image files under 'images' or a zip under 'archive'"]})
        if paths is not None and len(paths) != len(images):
            raise serializers.ValidationError(
                {"paths": [f"give one path per image: {len(paths)} paths for {len(images)} images"]}
            )
        return attrs


class UploadedPlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    image_url = serializers.CharField()
    thumbnail_url = serializers.CharField()


class UploadResultSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The path or file name as sent.")
    status = serializers.ChoiceField(choices=["new", "duplicate", "rejected"])
    reason = serializers.CharField(help_text="Why the file was rejected; empty otherwise.")
    plot = UploadedPlotSerializer(allow_null=True)


class UploadCountsSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()


class BulkUploadResponseSerializer(serializers.Serializer):
    experiment = serializers.CharField()
    counts = UploadCountsSerializer()
    results = UploadResultSerializer(many=True)
