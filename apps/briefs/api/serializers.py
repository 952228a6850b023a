from rest_framework import serializers

from apps.briefs.models import Brief
from apps.experiments.models import Experiment


class BriefSerializer(serializers.ModelSerializer):
    experiment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    written_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    sent_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Brief
        fields = [
            "id",
            "url",
            "experiment",
            "period_start",
            "period_end",
            "shift_name",
            "status",
            "automatic",
            "note",
            "written_by",
            "created_by",
            "sent_by",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields

    def get_url(self, brief) -> str | None:
        return brief.get_absolute_url() if brief.pk else None


class BriefDetailSerializer(BriefSerializer):
    class Meta(BriefSerializer.Meta):
        fields = BriefSerializer.Meta.fields + ["content", "text"]
        read_only_fields = fields


class BriefRequestSerializer(serializers.Serializer):
    """A brief on demand: ``preview`` computes it without keeping it; ``send`` keeps it and sends it."""

    experiment = serializers.SlugRelatedField(slug_field="slug", queryset=Experiment.objects.all())
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    shift_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="", trim_whitespace=False)
    preview = serializers.BooleanField(required=False, default=False)
    send = serializers.BooleanField(required=False, default=False)

    def validate(self, data):
        if data["preview"] and data["send"]:
            raise serializers.ValidationError("Choose preview or send, not both.")
        return data


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, allow_blank=True, trim_whitespace=False)
