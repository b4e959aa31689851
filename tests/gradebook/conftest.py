from decimal import Decimal

import pytest
from django.utils import timezone

from hub.courses.models import Assignment, Membership
from hub.submissions.models import Submission
from hub.submissions.services import grade_record_rubric

from ..factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Classes of hundreds of users: the default PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def assignments(course):
    return {a.slug: a for a in Assignment.objects.filter(course=course)}


@pytest.fixture
def grade(ta):
    """grade(student, assignment, points): record manual points through the submissions service."""

    def record(student, assignment, points):
        return grade_record_rubric(
            student=student,
            assignment=assignment,
            points=Decimal(str(points)),
            by=ta,
            why="test grade",
        )

    return record


@pytest.fixture
def submit():
    def make(student, assignment):
        return Submission.objects.create(
            assignment=assignment,
            student=student,
            created_at=timezone.now(),
            sha256="0" * 64,
            size=1,
            lateness="on_time",
            sources_statement="my own work",
            submitted_by=student,
        )

    return make


@pytest.fixture
def enroll(course):
    def make(n, prefix="s"):
        return [
            MembershipFactory(
                course=course,
                user=UserFactory(
                    username=f"{prefix}{i:03d}", first_name=f"First{i}", last_name=f"Last{i:03d}"
                ),
                role=Membership.Role.STUDENT,
            ).user
            for i in range(n)
        ]

    return make
