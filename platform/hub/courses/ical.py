"""The member's iCalendar feed: lectures, no-class days and their own deadlines."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from .models import Course, Membership, Session
from .selectors import deadlines_for


def calendar_for(*, course: Course, membership: Membership, host: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Course platform//schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{course.code} {course.title}")
    cal.add("x-wr-timezone", course.time_zone)
    zone = course.zone
    stamp = timezone.now()
    for s in Session.objects.filter(course=course):
        ev = Event()
        ev.add("uid", f"session-{s.pk}@{host}")
        ev.add("dtstamp", stamp)
        if s.no_class:
            ev.add("summary", f"No class: {s.topic}")
            ev.add("dtstart", s.starts_at.astimezone(zone).date())
            ev.add("transp", "TRANSPARENT")
        else:
            label = f"{course.code}: {s.topic}" + (" (guest lecture)" if s.kind == Session.Kind.GUEST else "")
            ev.add("summary", label)
            ev.add("dtstart", s.starts_at.astimezone(zone))
            ev.add("dtend", s.ends_at.astimezone(zone))
            ev.add("location", course.location)
        cal.add_component(ev)
    for d in deadlines_for(course=course, membership=membership):
        due = d.deadline.due_at.astimezone(zone)
        ev = Event()
        ev.add("uid", f"deadline-{d.assignment.pk}-{membership.pk}@{host}")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"Due: {d.assignment.title}")
        ev.add("dtstart", due)
        ev.add("dtend", due)
        description = [f"{d.assignment.title} is due {due:%a %d %b %Y, %I:%M %p %Z}."]
        description += list(d.deadline.reasons)
        if d.deadline.late_until:
            late = d.deadline.late_until.astimezone(zone)
            description.append(
                f"Accepted late until {late:%a %d %b, %I:%M %p %Z} with a "
                f"{d.deadline.late_penalty * 100:.0f}% penalty."
            )
        ev.add("description", "\n".join(description))
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{d.assignment.title} is due in one day")
        alarm.add("trigger", timedelta(days=-1))
        ev.add_component(alarm)
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()
