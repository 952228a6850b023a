from django.contrib import admin, messages

from apps.notifications import services
from apps.notifications.models import Delivery, Status


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "target", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("target", "subject", "source", "dedupe_key")
    readonly_fields = (
        "channel",
        "target",
        "subject",
        "body",
        "payload",
        "image",
        "image_label",
        "source",
        "dedupe_key",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    show_full_result_count = False
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False  # deliveries come from the events they are about

    @admin.action(description="Retry the selected failed deliveries")
    def retry_failed(self, request, queryset):
        done = sum(services.retry(d) for d in queryset.filter(status=Status.FAILED))
        self.message_user(
            request, f"{done} failed deliver{'y' if done == 1 else 'ies'} queued again.", messages.SUCCESS
        )
