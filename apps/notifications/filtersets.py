"""The delivery log's FilterSet for the API."""

import django_filters as filters

from apps.notifications.models import Channel, Delivery, Status


class DeliveryFilterSet(filters.FilterSet):
    channel = filters.ChoiceFilter(choices=Channel.choices, help_text="email, webhook, epics or logbook.")
    status = filters.ChoiceFilter(choices=Status.choices, help_text="queued, sent or failed.")
    source = filters.CharFilter(max_length=100, help_text='What it is about, e.g. "alarm:12".')

    class Meta:
        model = Delivery
        fields = ["channel", "status", "source"]
