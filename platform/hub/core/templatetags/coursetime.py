"""Show instants in the course's zone: `{{ when|in_zone:course.time_zone|date:"D j M, g:i A T" }}`."""

from zoneinfo import ZoneInfo

from django import template

register = template.Library()


@register.filter
def in_zone(value, zone_name: str):
    if value is None:
        return value
    return value.astimezone(ZoneInfo(zone_name))
