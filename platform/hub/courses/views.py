from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from .access import access_course, access_course_as_instructor
from .ical import calendar_for
from .models import Assignment, Membership
from .selectors import (
    late_deadlines,
    schedule_weeks,
    staff_assignment_overview,
    student_overview,
    upcoming_deadlines,
)
from .services import ScheduleEditError, assignment_update_schedule


def _today(course):
    return timezone.now().astimezone(course.zone).date()


@login_required
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


@login_required
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


@login_not_required  # calendar apps cannot log in: the secret token in the URL is the key
def calendar_feed(request, token: str):
    membership = Membership.objects.select_related("course", "user").filter(calendar_token=token).first()
    if membership is None:
        raise Http404("Unknown calendar")
    body = calendar_for(course=membership.course, membership=membership, host=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{membership.course.slug}.ics"'
    return response


def _local_input(value, zone):
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""


def _parse_local(text: str, zone):
    from datetime import datetime

    text = (text or "").strip()
    if not text:
        return None
    try:
        naive = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ScheduleEditError(f"{text!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    return naive.replace(tzinfo=zone)


@login_required
def deadlines(request, slug: str):
    """The instructor edits dates in place (htmx swaps one row at a time)."""
    course, membership = access_course_as_instructor(request.user, slug)
    rows = Assignment.objects.filter(course=course).order_by("due_at")
    return render(request, "courses/deadlines.html", {"course": course, "membership": membership, "rows": rows})


@login_required
def deadline_row(request, slug: str, assignment_slug: str):
    course, membership = access_course_as_instructor(request.user, slug)
    assignment = get_object_or_404(Assignment, course=course, slug=assignment_slug)
    zone = course.zone
    error = ""
    editing = request.GET.get("edit") == "1"
    if request.method == "POST":
        try:
            assignment_update_schedule(
                assignment=assignment,
                by=request.user,
                due_at=_parse_local(request.POST.get("due_at"), zone),
                opens_at=_parse_local(request.POST.get("opens_at"), zone),
                solution_release_at=_parse_local(request.POST.get("solution_release_at"), zone),
                late_allowed=request.POST.get("late_allowed") == "on",
            )
        except (ScheduleEditError, ValidationError) as exc:
            error = "; ".join(getattr(exc, "messages", [str(exc)]))
            editing = True
            assignment.refresh_from_db()
    if request.method == "POST" and not request.headers.get("HX-Request") and not error:
        return redirect("courses:deadlines", course.slug)  # a plain form post, without htmx
    context = {
        "course": course, "a": assignment, "editing": editing, "error": error,
        "due_input": _local_input(assignment.due_at, zone),
        "opens_input": _local_input(assignment.opens_at, zone),
        "release_input": _local_input(assignment.solution_release_at, zone),
    }
    return render(request, "courses/_deadline_row.html", context)
