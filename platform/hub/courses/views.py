from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .access import access_course
from .ical import calendar_for
from .models import Membership
from .selectors import (
    late_deadlines,
    schedule_weeks,
    staff_assignment_overview,
    student_overview,
    upcoming_deadlines,
)


def _today(course):
    return timezone.now().astimezone(course.zone).date()


def schedule(request, slug: str):
    course, membership = access_course(request.user, slug)
    now = timezone.now()
    context = {
        "course": course,
        "membership": membership,
        "weeks": schedule_weeks(course=course, membership=membership, today=_today(course)),
        "other_deadlines": late_deadlines(course=course, membership=membership),
        "upcoming": upcoming_deadlines(course=course, membership=membership, now=now),
        "now": now,
        "calendar_url": request.build_absolute_uri(f"/calendar/{membership.calendar_token}.ics"),
    }
    return render(request, "courses/schedule.html", context)


def dashboard(request, slug: str):
    """A student's deadlines (their own), submissions and released grades; staff's work queues."""
    course, membership = access_course(request.user, slug)
    now = timezone.now()
    context = {"course": course, "membership": membership, "now": now}
    if membership.is_staff:
        context["assignments"] = staff_assignment_overview(course=course)
    else:
        context["rows"] = student_overview(course=course, student=request.user, now=now)
    context["upcoming"] = upcoming_deadlines(course=course, membership=membership, now=now)
    return render(request, "courses/dashboard.html", context)


def calendar_feed(request, token: str):
    membership = Membership.objects.select_related("course", "user").filter(calendar_token=token).first()
    if membership is None:
        raise Http404("Unknown calendar")
    body = calendar_for(course=membership.course, membership=membership, host=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{membership.course.slug}.ics"'
    return response
