from django.contrib import admin
from django.utils.html import format_html

from apps.accounts.admin import PortalUserAdmin
from apps.labels.models import Label, LabelClass, LabelingGrant


class UserGrantInline(admin.TabularInline):
    model = LabelingGrant
    fk_name = "user"
    fields = ["plot_type", "plot_group"]
    autocomplete_fields = ["plot_type", "plot_group"]
    extra = 0
    verbose_name_plural = "labeling grants"


# The user admin (apps.accounts.admin) shows each user's labeling grants.
PortalUserAdmin.inlines = [*PortalUserAdmin.inlines, UserGrantInline]


@admin.register(LabelClass)
class LabelClassAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "swatch",
        "experiment",
        "hotkey",
        "meaning",
        "excluded_from_training",
        "order",
    ]
    list_filter = ["experiment", "meaning", "excluded_from_training"]
    list_editable = ["hotkey", "order"]
    search_fields = ["name"]

    @admin.display(description="Colour")
    def swatch(self, obj):
        return format_html(
            '<span style="display:inline-block;width:1.2em;height:1.2em;border-radius:3px;background:{}"></span> {}',
            obj.colour,
            obj.colour,
        )


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["id", "plot", "label_class", "user", "comment", "created_at"]
    list_filter = ["label_class", "created_at"]
    raw_id_fields = ["plot", "user"]
    autocomplete_fields = ["label_class"]
    list_select_related = ["plot__plot_type", "label_class", "user"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    search_fields = ["comment"]


@admin.register(LabelingGrant)
class LabelingGrantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "group", "plot_type", "plot_group", "created_at"]
    list_filter = ["group"]
    autocomplete_fields = ["user", "plot_type", "plot_group"]
    list_select_related = ["user", "group", "plot_type", "plot_group"]
