from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

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


@register.filter
def breakable(value):
    """A name such as TOF_paddle_occupancy that may wrap after its underscores (<wbr>), not mid-word."""
    return mark_safe(conditional_escape(value).replace("_", "_<wbr>"))
