"""Every page of a course shows times in the course's zone; other pages in the default course zone.
The API keeps UTC."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpResponse, JsonResponse
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


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Every page needs a logged-in user unless its view is marked `login_not_required`; the API
    answers 401/403 itself (DRF), and the admin sends people to its own login page."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(("/api/", "/admin/")):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ServiceUnavailableMiddleware:
    """A database outage answers 503 with Retry-After, a full disk 507; both say that nothing was
    stored (the upload services remove what they wrote and the transaction never committed),
    instead of a bare 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        import errno

        from django.db import InterfaceError, OperationalError

        if isinstance(exception, OperationalError | InterfaceError):
            status, message = 503, "The service is briefly unavailable; nothing was stored. Please try again in a minute."
        elif isinstance(exception, OSError) and exception.errno in (errno.ENOSPC, errno.EDQUOT):
            status, message = 507, "The server's storage is full; nothing was stored. Please try again later."
        else:
            return None
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=status)
        else:
            response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "30"
        return response
