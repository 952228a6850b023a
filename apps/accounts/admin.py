from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from apps.labels.models import LabelingGrant


class UserGrantInline(admin.TabularInline):
    model = LabelingGrant
    fk_name = "user"
    fields = ["plot_type", "plot_group"]
    autocomplete_fields = ["plot_type", "plot_group"]
    extra = 0
    verbose_name_plural = "labeling grants"


class PortalUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, UserGrantInline]


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
