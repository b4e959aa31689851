from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hub.courses.models import Assignment, Course, GradeComponent, Session
from hub.courses.services import course_import_syllabus
from hub.courses.syllabus import SyllabusError, parse_syllabus

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_import_creates_the_course_of_the_syllabus(course):
    assert course.slug == "csds600-fall2023"
    assert course.code == "CSDS 600"
    assert course.title == "Deep Generative Models"
    assert course.term == "Fall 2023"
    assert course.location == "Olin 314"
    assert course.meeting_times == "Mon, Wed: 5:30pm-6:45pm"
    assert course.office_hours == "Mon, Wed: 6:45pm-7:45pm"
    assert course.instructor_email == "yxy1421@case.edu"


def test_fifteen_weeks_of_two_sessions_each(course):
    sessions = Session.objects.filter(course=course)
    assert sessions.count() == 30
    assert sorted(set(sessions.values_list("week", flat=True))) == list(range(1, 16))
    first = sessions.first()
    # Mon 28 Aug 2023 5:30 pm EDT is 21:30 UTC.
    assert first.starts_at == utc(2023, 8, 28, 21, 30)
    assert first.ends_at - first.starts_at == timedelta(minutes=75)
    assert first.topic == "Introduction"


def test_holidays_are_no_class_sessions(course):
    holidays = Session.objects.filter(course=course, kind=Session.Kind.HOLIDAY)
    assert [(s.week, s.topic) for s in holidays] == [(2, "Labor Day Holiday"), (9, "Fall Break")]
    assert all(s.no_class for s in holidays)


def test_guest_lectures_are_marked_and_html_is_stripped(course):
    guests = Session.objects.filter(course=course, kind=Session.Kind.GUEST)
    assert [(s.week, s.topic) for s in guests] == [(12, "Generative AI with LLMs")] * 2
    assert not Session.objects.filter(topic__contains="<").exists()


def test_sessions_after_the_time_change_keep_their_local_hour(course):
    # 5 Nov 2023: EDT (UTC-4) ends. Lectures stay at 5:30 pm local, so 21:30 UTC becomes 22:30.
    before = Session.objects.get(course=course, week=10, starts_at__date="2023-10-30")
    after = Session.objects.get(course=course, week=11, starts_at__date="2023-11-06")
    assert before.starts_at == utc(2023, 10, 30, 21, 30)
    assert after.starts_at == utc(2023, 11, 6, 22, 30)


@pytest.mark.parametrize(
    "slug, week, due_utc, late_allowed",
    [
        ("hw1", 4, utc(2023, 9, 23, 3, 59), True),  # Fri 22 Sep 11:59 pm EDT
        ("hw2", 7, utc(2023, 10, 14, 3, 59), True),
        ("midterm", 8, utc(2023, 10, 21, 3, 59), False),
        ("paper-discussion-report", 11, utc(2023, 11, 11, 4, 59), True),  # EST after the change
        ("project-proposal", 6, utc(2023, 10, 4, 21, 30), True),
        ("project-presentation", 14, utc(2023, 11, 27, 22, 30), True),
        ("final-report", None, utc(2023, 12, 18, 10, 0), True),  # 5:00 am EST
    ],
)
def test_assignments_and_their_deadlines(course, slug, week, due_utc, late_allowed):
    a = Assignment.objects.get(course=course, slug=slug)
    assert a.week == week
    assert a.due_at == due_utc
    assert a.late_allowed is late_allowed


def test_final_report_hour_comes_from_the_table_not_a_default(course):
    final = Assignment.objects.get(course=course, slug="final-report")
    assert final.due_assumed is False
    assert Assignment.objects.get(course=course, slug="hw1").due_assumed is True


def test_assumptions_are_listed(course):
    notes = " ".join(course.import_notes)
    assert "HW 1" in notes and "week 4" in notes and "11:59 PM" in notes


def test_weights_and_policies_come_from_the_syllabus(course):
    weights = dict(GradeComponent.objects.filter(course=course).values_list("key", "weight"))
    assert weights == {
        "homework": Decimal(30), "midterm": Decimal(20),
        "paper_discussion": Decimal(20), "final_project": Decimal(30),
    }
    assert course.late_window == timedelta(hours=24)
    assert course.late_penalty == Decimal("0.25")
    assert course.regrade_window == timedelta(days=14)


def test_midterm_opens_at_its_session(course):
    midterm = Assignment.objects.get(course=course, slug="midterm")
    assert midterm.opens_at == utc(2023, 10, 16, 21, 30)
    assert Session.objects.get(course=course, starts_at=midterm.opens_at).kind == Session.Kind.EXAM


def test_importing_twice_changes_nothing(course, syllabus_text):
    def snapshot():
        return (
            list(Course.objects.values()),
            list(Session.objects.values()),
            list(Assignment.objects.values()),
            list(GradeComponent.objects.values()),
        )

    before = snapshot()
    course_import_syllabus(text=syllabus_text, time_zone="America/New_York")
    assert snapshot() == before


def test_a_cell_split_over_two_lines_is_read(syllabus_text):
    text = syllabus_text.replace("3\tSept 11 -15\t", "3\tSept 11 \n-15\t")
    assert text != syllabus_text
    parsed = parse_syllabus(text, time_zone="America/New_York")
    week3 = [s for s in parsed.sessions if s.week == 3]
    assert [s.starts_at.day for s in week3] == [11, 13]


def _broken(text, old, new):
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("5\tSept 25 - 29\t", "5\tSept 31 - 29\t", "day is out of range"),
        ("5\tSept 25 - 29\t", "5\tSebt 25 - 29\t", "unknown month"),
        ("5\tSept 25 - 29\t", "5\tSept 26 - 29\t", "not a Monday"),
        ("6\tOct 2 - 6\t", "7\tOct 2 - 6\t", "week 7 follows week 5"),
        ("HW 2 Due", "Bake sale", "cannot tell what"),
    ],
)
def test_a_malformed_syllabus_names_the_line_and_writes_nothing(tmp_path, syllabus_text, old, new, message):
    broken = _broken(syllabus_text, old, new)
    line = next(i for i, row in enumerate(broken.splitlines(), 1) if new.strip().split("\t")[-1] in row or new in row)
    path = tmp_path / "syllabus.md"
    path.write_text(broken)
    with pytest.raises(CommandError) as err:
        call_command("import_syllabus", str(path))
    assert f"syllabus.md:{line}:" in str(err.value)
    assert message in str(err.value)
    assert not Course.objects.exists()
    assert not Session.objects.exists()


def test_a_failure_late_in_the_file_rolls_back_an_update(course, syllabus_text):
    changed = syllabus_text.replace("Class Location: Olin 314", "Class Location: Olin 999")
    broken = _broken(changed, "Dec 18\tFinal Report Due at 5am", "Dec 18\tPicnic")
    with pytest.raises(SyllabusError):
        course_import_syllabus(text=broken)
    course.refresh_from_db()
    assert course.location == "Olin 314"


def test_the_command_prints_the_deadlines(course, syllabus_text, tmp_path, capsys):
    path = tmp_path / "s.md"
    path.write_text(syllabus_text)
    call_command("import_syllabus", str(path))
    out = capsys.readouterr().out
    assert "Final Report" in out and "05:00 AM EST" in out
