"""Stage timings and daily tallies, readable in the admin; only the pipeline writes them."""

from django.contrib import admin

from apps.operations.models import DailyTally, StageTiming


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StageTiming)
class StageTimingAdmin(ReadOnly):
    list_display = ("stage", "at", "count", "seconds")
    list_filter = ("stage",)
    date_hierarchy = "at"
    show_full_result_count = False  # the table keeps a week of batches


@admin.register(DailyTally)
class DailyTallyAdmin(ReadOnly):
    list_display = ("day", "kind", "count")
    list_filter = ("kind",)
