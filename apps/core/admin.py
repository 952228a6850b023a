from django.contrib import admin

from apps.core.models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["message", "level", "active", "starts_at", "ends_at"]
    list_filter = ["level", "active"]
    list_editable = ["active"]
