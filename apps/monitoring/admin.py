from django.contrib import admin

from apps.monitoring.models import Activation, ActiveModel, Classification, ClassifierModel


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    list_display = ("__str__", "plot_type", "architecture", "version", "status", "created_by", "created_at")
    list_filter = ("status", "architecture", "plot_type__experiment")
    search_fields = ("plot_type__name",)
    raw_id_fields = ("plot_type", "parent", "job", "created_by")
    readonly_fields = ("fingerprint", "training_plot_ids", "test_plot_ids", "path", "created_at", "trained_at")


@admin.register(ActiveModel)
class ActiveModelAdmin(admin.ModelAdmin):
    list_display = ("plot_type", "model", "activated_by", "activated_at")
    raw_id_fields = ("plot_type", "model", "activated_by")

    def has_add_permission(self, request):
        return False  # activation goes through the model page so that it is logged

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Activation)
class ActivationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "plot_type", "previous", "model", "user", "note")
    list_filter = ("plot_type__experiment",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Classification)
class ClassificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "plot_type", "run_number", "verdict_class", "confidence", "confirmed", "model")
    list_filter = ("confirmed", "verdict_class", "plot_type__experiment")
    raw_id_fields = ("plot", "model", "plot_type", "verdict_class")
    date_hierarchy = "created_at"
