from django.contrib import admin

from apps.experiments.models import Campaign, Experiment, Run, RunPeriod


class RunPeriodInline(admin.TabularInline):
    model = RunPeriod
    extra = 0
    fields = ["name", "starts_on", "ends_on"]
    show_change_link = True


class CampaignInline(admin.TabularInline):
    model = Campaign
    extra = 0
    fields = ["name", "kind", "is_reference", "description"]


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "production_conditions", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RunPeriodInline, CampaignInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "logo"]}),
        (
            "Run conditions",
            {
                "fields": ["production_conditions", "rcdb_url", "rcdb_conditions"],
                "description": "Expressions such as <code>@is_production and beam_current &gt; 100</code>; "
                "see docs/conditions.md. The RCDB is read by <code>manage.py sync_conditions</code> "
                "or the action “Sync run conditions from the RCDB”.",
            },
        ),
    ]
    actions = ["sync_conditions"]

    @admin.action(description="Sync run conditions from the RCDB (a background job)")
    def sync_conditions(self, request, queryset):
        from apps.experiments.tasks import queue_sync

        chosen = [exp for exp in queryset if exp.rcdb_condition_names]
        for exp in chosen:
            queue_sync(exp, user=request.user)
        skipped = queryset.count() - len(chosen)
        message = f"{len(chosen)} sync job(s) queued; see Jobs."
        if skipped:
            message += f" {skipped} experiment(s) name no RCDB conditions and were left out."
        self.message_user(request, message)


@admin.register(RunPeriod)
class RunPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "experiment", "starts_on", "ends_on"]
    list_filter = ["experiment"]
    search_fields = ["name"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["number", "experiment", "run_period", "started_at", "conditions"]
    list_filter = ["experiment", "run_period"]
    search_fields = ["=number"]
    autocomplete_fields = ["run_period"]
    list_select_related = ["experiment", "run_period"]
    show_full_result_count = False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "experiment", "kind", "is_reference", "created_at"]
    list_filter = ["experiment", "kind", "is_reference"]
    list_editable = ["is_reference"]
    search_fields = ["name"]
