"""Show instants in the course's zone: `{{ when|in_zone:course.time_zone|date:"D j M, g:i A T" }}`."""

from django import template
from django.templatetags.tz import do_timezone

register = template.Library()


@register.filter
def in_zone(value, zone_name: str):
    # Django's own tz filter marks the result so that `date` does not convert it back to the
    # active zone (UTC): a plain astimezone() would be undone.
    if value in (None, ""):
        return value
    return do_timezone(value, zone_name)
