from django.contrib import admin

from apps.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "title",
        "status",
        "progress",
        "message",
        "attempts",
        "heartbeat_at",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["title", "message"]
    readonly_fields = [
        "created_at",
        "started_at",
        "finished_at",
        "log",
        "result",
        "params",
        "actor",
        "sent_at",
        "heartbeat_at",
        "attempts",
    ]
    raw_id_fields = ["created_by"]
    date_hierarchy = "created_at"
