from django.contrib import admin

from apps.briefs.models import Brief, ShiftSchedule


@admin.register(ShiftSchedule)
class ShiftScheduleAdmin(admin.ModelAdmin):
    list_display = ("experiment", "enabled", "kind", "shift_hours", "shift_names", "daily_hour", "grace_minutes")
    list_filter = ("enabled", "kind")
    fieldsets = (
        (None, {"fields": ("experiment", "enabled", "kind")}),
        ("Three shifts", {"fields": ("shift_hours", "shift_names")}),
        ("Daily", {"fields": ("daily_hour",)}),
        ("Sending", {"fields": ("grace_minutes", "email_to", "logbook")}),
    )


@admin.register(Brief)
class BriefAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "automatic", "written_by", "sent_at")
    list_filter = ("status", "automatic", "experiment")
    readonly_fields = ("content", "text", "schedule_key", "created_at", "updated_at", "sent_at", "sent_by")
    raw_id_fields = ("created_by", "written_by")
