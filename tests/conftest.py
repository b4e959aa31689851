from pathlib import Path

import pytest

from hub.courses.models import Membership
from hub.courses.services import course_import_syllabus

from .factories import CourseFactory, MembershipFactory, UserFactory

SYLLABUS = Path(__file__).resolve().parents[1] / "docs" / "syllabus.md"


@pytest.fixture
def syllabus_text() -> str:
    shared = Path(__file__).resolve().parents[2] / "shared" / "syllabus.md"
    return (shared if shared.exists() else SYLLABUS).read_text(encoding="utf-8")


@pytest.fixture
def course(db, syllabus_text):
    """The course of the syllabus, imported."""
    imported, _ = course_import_syllabus(text=syllabus_text, time_zone="America/New_York")
    return imported


@pytest.fixture
def other_course(db):
    return CourseFactory(slug="csds999-fall2023", code="CSDS 999", title="Another course")


def _member(course, username, role):
    return MembershipFactory(course=course, user=UserFactory(username=username), role=role).user


@pytest.fixture
def student(course):
    return _member(course, "alice", Membership.Role.STUDENT)


@pytest.fixture
def other_student(course):
    return _member(course, "bob", Membership.Role.STUDENT)


@pytest.fixture
def outsider(other_course):
    """A student of another course."""
    return _member(other_course, "mallory", Membership.Role.STUDENT)


@pytest.fixture
def ta(course):
    return _member(course, "terry", Membership.Role.TA)


@pytest.fixture
def other_ta(other_course):
    return _member(other_course, "tess", Membership.Role.TA)


@pytest.fixture
def instructor(course):
    return _member(course, "yu", Membership.Role.INSTRUCTOR)
