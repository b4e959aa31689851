"""The gradebook's API: staff read the gradebook, the instructor the letter decision."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from hub.gradebook.services import letter_cut_save

pytestmark = pytest.mark.django_db


def test_staff_read_the_gradebook_as_json(course, ta, student, grade, assignments):
    grade(student, assignments["hw1"], 90)
    client = APIClient()
    client.force_authenticate(ta)
    response = client.get(f"/api/courses/{course.slug}/gradebook/")
    assert response.status_code == 200
    data = response.json()
    assert [c["key"] for c in data["components"]] == [
        "homework",
        "midterm",
        "paper_discussion",
        "final_project",
    ]
    row = data["rows"][0]
    assert row["username"] == "alice" and row["missing"] == 6
    hw1 = next(c for c in row["cells"] if c["assignment"] == "hw1")
    assert hw1["status"] == "graded" and Decimal(hw1["points"]) == 90
    assert next(c for c in row["components"] if c["component"] == "homework")["percent"] == "45.00"


def test_letters_api_is_the_instructors(course, instructor, ta, student, grade, assignments):
    for a in assignments.values():
        grade(student, a, 80)
    client = APIClient()
    client.force_authenticate(instructor)
    assert client.get(f"/api/courses/{course.slug}/gradebook/letters/").status_code == 204
    letter_cut_save(
        course=course,
        by=instructor,
        k=2,
        method="manual",
        thresholds=["70"],
        letters=["B", "A"],
        accept_warnings=True,
    )
    data = client.get(f"/api/courses/{course.slug}/gradebook/letters/").json()
    assert (
        data["thresholds"] == ["70.000"]
        and data["letters"] == ["B", "A"]
        and data["locked_at"] is None
    )
    client.force_authenticate(ta)
    assert client.get(f"/api/courses/{course.slug}/gradebook/letters/").status_code == 403


def test_students_and_outsiders_get_no_gradebook(course, student, outsider):
    client = APIClient()
    assert client.get(f"/api/courses/{course.slug}/gradebook/").status_code in (401, 403)
    client.force_authenticate(student)
    assert client.get(f"/api/courses/{course.slug}/gradebook/").status_code == 403
    client.force_authenticate(outsider)
    assert client.get(f"/api/courses/{course.slug}/gradebook/").status_code == 404
