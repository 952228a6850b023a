from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from apps.labels.models import LabelingGrant
from apps.plots.models import Plot, PlotGroup, PlotType


def thumbnail_tag(plot, width=120):
    if plot is None:
        return "—"
    return format_html('<img src="{}" width="{}" alt="{}" loading="lazy">', plot.thumbnail_url, width, plot)


class PlotGroupMembershipInline(admin.TabularInline):
    model = PlotGroup.plot_types.through
    extra = 0
    autocomplete_fields = ["plotgroup"]
    verbose_name = "group membership"
    verbose_name_plural = "member of groups"


@admin.register(PlotType)
class PlotTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "experiment",
        "detector",
        "expert_contact",
        "chunked",
        "ignored",
        "collect_fraction",
    ]
    list_filter = ["experiment", "detector", "ignored", "chunked"]
    list_editable = ["ignored", "collect_fraction"]
    search_fields = ["name", "detector"]
    filter_horizontal = ["label_classes"]
    raw_id_fields = ["reference_plot"]
    readonly_fields = ["reference_preview", "created_at"]
    inlines = [PlotGroupMembershipInline]
    fieldsets = [
        (None, {"fields": ["experiment", "name", "detector", "expert_contact", "description"]}),
        (
            "Ingest and labeling",
            {"fields": ["file_type", "chunked", "ignored", "collect_fraction", "label_classes"]},
        ),
        ("Reference", {"fields": ["reference_plot", "reference_preview"]}),
    ]

    @admin.display(description="Reference image")
    def reference_preview(self, obj):
        return thumbnail_tag(obj.reference_plot, 320) if obj.pk else "—"


class PlotGroupForm(forms.ModelForm):
    class Meta:
        model = PlotGroup
        fields = "__all__"

    def clean_parents(self):
        parents = self.cleaned_data["parents"]
        if self.instance.pk:
            if any(p.pk == self.instance.pk for p in parents):
                raise ValidationError("A group cannot be its own parent.")
            self.instance.check_parents({p.pk for p in parents})
        # The child-group inline checks its rows against the parents about to be saved.
        self.instance._pending_parent_ids = {p.pk for p in parents}
        return parents


class ChildGroupFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        above = self._groups_above()
        for form in self.forms:
            child = form.cleaned_data.get("from_plotgroup") if form.cleaned_data else None
            if child is None or form.cleaned_data.get("DELETE"):
                continue
            if child.pk == self.instance.pk:
                raise ValidationError("A group cannot contain itself.")
            if child.pk in above:
                raise ValidationError(f"{child.name} is above {self.instance.name}: a group cannot contain itself.")

    def _groups_above(self) -> set[int]:
        """Every group the edited group sits under once saved, with the parents chosen in this same form."""
        pending = getattr(self.instance, "_pending_parent_ids", None)
        if pending is None:
            return self.instance.ancestor_ids() if self.instance.pk else set()
        above = set(pending)
        for parent in PlotGroup.objects.filter(pk__in=pending):
            above |= parent.ancestor_ids()
        return above


class ChildGroupInline(admin.TabularInline):
    model = PlotGroup.parents.through
    fk_name = "to_plotgroup"
    formset = ChildGroupFormSet
    extra = 0
    autocomplete_fields = ["from_plotgroup"]
    verbose_name = "child group"
    verbose_name_plural = "child groups (this is their super group)"


class GrantInline(admin.TabularInline):
    model = LabelingGrant
    fk_name = "plot_group"
    fields = ["user", "group"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name_plural = "labeling grants on this group"


@admin.register(PlotGroup)
class PlotGroupAdmin(admin.ModelAdmin):
    form = PlotGroupForm
    list_display = ["name", "experiment", "kind", "type_count"]
    list_filter = ["experiment", "kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["plot_types", "parents"]
    inlines = [ChildGroupInline, GrantInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_types=Count("plot_types", distinct=True))

    @admin.display(description="Plot types (direct)", ordering="_types")
    def type_count(self, obj):
        return obj._types


@admin.register(Plot)
class PlotAdmin(admin.ModelAdmin):
    list_display = [
        "preview",
        "plot_type",
        "run_number",
        "campaign",
        "chunk",
        "label_class",
        "ingested_at",
    ]
    list_filter = ["experiment", "campaign", "label_class"]
    list_select_related = ["plot_type", "campaign", "label_class"]
    raw_id_fields = ["run", "plot_type", "campaign", "run_period", "label_class"]
    readonly_fields = [
        "preview_large",
        "sha256",
        "size_bytes",
        "width",
        "height",
        "image",
        "thumbnail",
        "ingested_at",
    ]
    search_help_text = "A run number, a SHA-256, or the start of a plot type name."
    search_fields = ["plot_type__name"]
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description="Image")
    def preview(self, obj):
        return thumbnail_tag(obj, 96)

    @admin.display(description="Image")
    def preview_large(self, obj):
        return thumbnail_tag(obj, 320)

    def get_search_results(self, request, queryset, search_term):
        # Substring search over millions of rows is a table scan: use the indexed columns instead.
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(run_number=int(term)), False
        if len(term) == 64 and all(c in "0123456789abcdef" for c in term.lower()):
            return queryset.filter(sha256=term.lower()), False
        return queryset.filter(plot_type__name__istartswith=term), False
