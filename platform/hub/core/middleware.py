"""Every page of a course shows times in the course's zone; other pages in the default course zone.
The API keeps UTC."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


class CourseTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        from hub.courses.models import Course

        if request.path.startswith("/api/"):
            return None  # the API speaks UTC
        zone = settings.COURSE_TIME_ZONE
        slug = view_kwargs.get("slug")
        if slug:
            zone = Course.objects.filter(slug=slug).values_list("time_zone", flat=True).first() or zone
        timezone.activate(ZoneInfo(zone))
        return None
