from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def moment(value):
    """An ISO time kept in a brief's content, as a local date-time."""
    if not value:
        return ""
    try:
        return timezone.localtime(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return ""
