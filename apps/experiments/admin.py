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
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RunPeriodInline, CampaignInline]


@admin.register(RunPeriod)
class RunPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "experiment", "starts_on", "ends_on"]
    list_filter = ["experiment"]
    search_fields = ["name"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["number", "experiment", "run_period", "started_at"]
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
