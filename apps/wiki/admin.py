from django.contrib import admin

from apps.wiki.models import Answer, DescriptionRevision, Question


@admin.register(DescriptionRevision)
class DescriptionRevisionAdmin(admin.ModelAdmin):
    list_display = ["plot_type", "summary", "author", "created_at"]
    list_filter = ["plot_type__experiment"]
    list_select_related = ["plot_type", "author"]
    raw_id_fields = ["plot_type"]
    readonly_fields = ["created_at"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    raw_id_fields = ["author"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "plot_type", "author", "created_at"]
    list_filter = ["plot_type__experiment"]
    list_select_related = ["plot_type", "author"]
    raw_id_fields = ["plot_type", "author"]
    search_fields = ["text"]
    inlines = [AnswerInline]
