from django.contrib import admin

from apps.validation.models import (
    AnomalyScore,
    AutoencoderModel,
    EmbeddingSpace,
    HistogramSource,
    SiameseModel,
    ValidationReport,
    ValidationResult,
    ValidationThreshold,
)


@admin.register(ValidationThreshold)
class ValidationThresholdAdmin(admin.ModelAdmin):
    list_display = ["plot_type", "warn_below", "fail_below", "siamese_warn_below", "siamese_fail_below", "set_by"]
    list_filter = ["plot_type__experiment", "set_by"]
    search_fields = ["plot_type__name"]
    autocomplete_fields = ["plot_type"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.set_by, obj.updated_by = "user", request.user
        super().save_model(request, obj, form, change)


class ResultInline(admin.TabularInline):
    model = ValidationResult
    fields = ["rank", "plot_type", "verdict", "score", "siamese_score", "reason", "n_plots", "n_reference"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(ValidationReport)
class ValidationReportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "experiment", "status", "auto_update", "computed_at"]
    list_filter = ["experiment", "status"]
    readonly_fields = ["summary", "status", "message", "job", "computed_at", "created_by", "created_at"]
    inlines = [ResultInline]


@admin.register(EmbeddingSpace)
class EmbeddingSpaceAdmin(admin.ModelAdmin):
    list_display = ["plot_type", "method", "n_points", "n_clusters", "engine", "computed_at"]
    list_filter = ["method", "plot_type__experiment"]
    readonly_fields = [f.name for f in EmbeddingSpace._meta.fields]

    def has_add_permission(self, request):
        # A map is computed by its job; an empty hand-made one has no plot type and cannot be saved.
        return False


@admin.register(AutoencoderModel)
class AutoencoderModelAdmin(admin.ModelAdmin):
    list_display = ["plot_type", "is_active", "threshold", "threshold_set_by", "trained_on", "created_at"]
    list_filter = ["is_active", "plot_type__experiment"]
    readonly_fields = ["path", "input_shape", "trained_on", "fingerprint", "metrics", "job", "created_at"]


@admin.register(SiameseModel)
class SiameseModelAdmin(admin.ModelAdmin):
    list_display = ["plot_type", "is_active", "trained_on", "created_at"]
    list_filter = ["is_active", "plot_type__experiment"]
    readonly_fields = ["path", "input_shape", "trained_on", "fingerprint", "metrics", "job", "created_at"]


@admin.register(AnomalyScore)
class AnomalyScoreAdmin(admin.ModelAdmin):
    list_display = ["plot", "model", "score", "anomalous"]
    list_filter = ["anomalous"]
    raw_id_fields = ["plot", "model"]


@admin.register(HistogramSource)
class HistogramSourceAdmin(admin.ModelAdmin):
    list_display = ["plot", "histogram_path", "entries", "created_at"]
    raw_id_fields = ["plot"]
    search_fields = ["histogram_path", "source_file"]
