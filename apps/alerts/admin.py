from django.contrib import admin

from apps.alerts.models import Alarm, AlarmEvent, Rule, Silence


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("name", "experiment", "kind", "plot_type", "plot_group", "severity", "enabled", "updated_at")
    list_filter = ("enabled", "kind", "severity", "experiment")
    list_editable = ("enabled",)
    search_fields = ("name", "plot_type__name", "plot_group__name")
    raw_id_fields = ("plot_type", "plot_group", "created_by")
    fieldsets = (
        (None, {"fields": ("experiment", "name", "enabled", "severity")}),
        ("Scope: one plot type or one plot group", {"fields": ("plot_type", "plot_group")}),
        (
            "Condition",
            {"fields": ("kind", "k", "n", "streak", "stale_minutes", "live_minutes", "clear_after")},
        ),
        ("Flicker", {"fields": ("flicker_changes", "flicker_window")}),
        (
            "Routing",
            {
                "fields": (
                    "notify_expert",
                    "targets",
                    "escalate_after_minutes",
                    "escalation_targets",
                    "repeat_hours",
                )
            },
        ),
        ("Record", {"fields": ("created_by",)}),
    )


class AlarmEventInline(admin.TabularInline):
    model = AlarmEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "text")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    """Alarms change through the portal's pages and API (audited); the admin only reads them."""

    list_display = ("id", "plot_type", "reason", "state", "rule", "last_run", "opened_at", "acknowledged_by")
    list_filter = ("state", "reason", "severity", "experiment")
    search_fields = ("plot_type__name", "rule__name", "summary")
    date_hierarchy = "opened_at"
    inlines = [AlarmEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "experiment", "rule", "plot_type", "plot_group", "ends_at", "reason", "created_by")
    list_filter = ("experiment",)
    raw_id_fields = ("rule", "plot_type", "plot_group", "created_by")
