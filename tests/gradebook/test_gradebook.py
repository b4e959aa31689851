"""The gradebook: components, weighted total, missing work, Canvas CSV, access, query count."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hub.courses.models import GradeComponent
from hub.gradebook.selectors import CellStatus, gradebook_for
from hub.submissions.models import Extension

from ..factories import AssignmentFactory

pytestmark = pytest.mark.django_db


def _row(book, user):
    return next(r for r in book.rows if r.student == user)


def _alice_grades(grade, student, assignments):
    for slug, points in [
        ("hw1", 90),
        ("hw2", 80),
        ("midterm", 70),
        ("paper-discussion-report", 100),
        ("project-proposal", 90),
        ("final-report", 80),
    ]:
        grade(student, assignments[slug], points)


def test_weighted_total_uses_the_syllabus_weights_and_counts_missing_work_as_zero(
    course, student, grade, assignments
):
    _alice_grades(grade, student, assignments)
    row = _row(gradebook_for(course=course), student)
    percents = {s.component.key: s.percent for s in row.components}
    assert percents == {
        "homework": Decimal("85.00"),
        "midterm": Decimal("70.00"),
        "paper_discussion": Decimal("100.00"),
        "final_project": Decimal("56.67"),
    }
    # 30 × 85 + 20 × 70 + 20 × 100 + 30 × 170/300, over 100: the presentation is missing.
    assert row.total == Decimal("76.50")
    assert row.missing == 1
    statuses = {c.assignment.slug: c.status for c in row.cells}
    assert statuses["project-presentation"] == CellStatus.MISSING


def test_weights_come_from_the_course_settings(course, student, grade, assignments):
    _alice_grades(grade, student, assignments)
    GradeComponent.objects.filter(course=course, key="homework").update(weight=60)
    # (60 × 85 + 20 × 70 + 20 × 100 + 30 × 56.667) / 130 = 10200 / 130
    assert _row(gradebook_for(course=course), student).total == Decimal("78.46")


def test_submitted_but_ungraded_work_is_not_counted(course, other_student, submit, assignments):
    submit(other_student, assignments["hw1"])
    row = _row(gradebook_for(course=course), other_student)
    cells = {c.assignment.slug: c for c in row.cells}
    assert cells["hw1"].status == CellStatus.AWAITING and cells["hw1"].points is None
    assert cells["hw2"].status == CellStatus.MISSING and cells["hw2"].points == 0
    assert row.total == Decimal("0.00")
    assert row.missing == 6


def test_work_not_due_yet_is_upcoming_not_missing(course, student, grade, assignments):
    homework = GradeComponent.objects.get(course=course, key="homework")
    hw3 = AssignmentFactory(
        course=course,
        slug="hw3",
        title="HW 3",
        component=homework,
        due_at=timezone.now() + timedelta(days=2),
    )
    grade(student, assignments["hw1"], 100)
    row = _row(gradebook_for(course=course), student)
    cell = next(c for c in row.cells if c.assignment == hw3)
    assert cell.status == CellStatus.UPCOMING
    assert next(s for s in row.components if s.component.key == "homework").percent == Decimal(
        "50.00"
    )


def test_an_extension_keeps_work_from_being_called_missing(
    course, student, instructor, assignments
):
    Extension.objects.create(
        assignment=assignments["hw2"],
        student=student,
        due_at=timezone.now() + timedelta(days=1),
        reason="illness",
        granted_by=instructor,
        granted_at=timezone.now(),
    )
    row = _row(gradebook_for(course=course), student)
    statuses = {c.assignment.slug: c.status for c in row.cells}
    assert statuses["hw2"] == CellStatus.UPCOMING and statuses["hw1"] == CellStatus.MISSING


def test_gradebook_page_shows_components_totals_and_missing_work(
    client, course, ta, student, grade, assignments
):
    _alice_grades(grade, student, assignments)
    client.force_login(ta)
    response = client.get(reverse("gradebook:gradebook", args=[course.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Homework assignments (30%)" in body and "Final project (30%)" in body
    assert "76.50" in body and "1 missing" in body
    assert '<td class="num missing">missing</td>' in body


def test_only_staff_see_the_gradebook(client, course, student, outsider, other_ta):
    url = reverse("gradebook:gradebook", args=[course.slug])
    csv_url = reverse("gradebook:canvas_csv", args=[course.slug])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(student)
    assert client.get(url).status_code == 403
    assert client.get(csv_url).status_code == 403
    for user in (outsider, other_ta):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(csv_url).status_code == 404


def test_canvas_csv_has_the_import_columns_points_possible_and_scores(
    client, course, instructor, student, other_student, grade, assignments
):
    student.first_name, student.last_name = "Alice", "Liddell"
    student.save()
    _alice_grades(grade, student, assignments)
    client.force_login(instructor)
    response = client.get(reverse("gradebook:canvas_csv", args=[course.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows[0]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == [
        "HW 1",
        "Project proposal presentation",
        "HW 2",
        "Mid-term exam (take-home)",
        "Paper discussion report",
        "Project presentation",
        "Final Report",
        "Final Score",
        "Final Grade",
    ]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5:12] == ["100"] * 7
    by_login = {r[3]: dict(zip(header, r, strict=True)) for r in rows[2:]}
    alice = by_login["alice"]
    assert alice["Student"] == "Liddell, Alice" and alice["Section"] == course.code
    assert alice["HW 1"] == "90" and alice["Project presentation"] == "0"
    assert alice["Final Score"] == "76.5"
    assert by_login["bob"]["HW 1"] == "0"  # missing counts 0


def test_csv_leaves_ungraded_work_blank(client, course, instructor, student, submit, assignments):
    submit(student, assignments["hw1"])
    client.force_login(instructor)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("gradebook:canvas_csv", args=[course.slug])).content.decode()
            )
        )
    )
    assert rows[2][5] == ""


def _queries_for_gradebook(client, course, user):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("gradebook:gradebook", args=[course.slug]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_gradebook_query_count_does_not_grow_with_the_class(
    client, course, instructor, enroll, grade, submit, assignments
):
    client.force_login(instructor)
    first = enroll(5, prefix="a")
    for i, s in enumerate(first):
        grade(s, assignments["hw1"], 50 + i)
        submit(s, assignments["hw2"])
    small = _queries_for_gradebook(client, course, instructor)
    more = enroll(15, prefix="b")
    for i, s in enumerate(more):
        grade(s, assignments["hw1"], 60 + i)
        grade(s, assignments["midterm"], 70 + i)
        submit(s, assignments["hw2"])
    large = _queries_for_gradebook(client, course, instructor)
    assert small == large
    assert small <= 15
