from datetime import timedelta

import pytest

from hub.courses.models import Assignment, Membership
from hub.submissions.bundles import Upload
from hub.submissions.services import submission_create

from ..factories import MembershipFactory, UserFactory
from .samples import SOLUTION_A, SOLUTION_A_COPY, SOLUTION_B, STARTER


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def store(settings, tmp_path):
    settings.SUBMISSION_STORE = tmp_path / "store"
    return settings.SUBMISSION_STORE


@pytest.fixture
def hw2(course, settings, tmp_path):
    """HW 2 with an autograder folder whose starter/ holds the starter file."""
    settings.ASSIGNMENTS_DIR = tmp_path / "assignments"
    starter = settings.ASSIGNMENTS_DIR / "hw2" / "starter"
    starter.mkdir(parents=True)
    (starter / "gan.py").write_text(STARTER)
    assignment = Assignment.objects.get(course=course, slug="hw2")
    assignment.autograder, assignment.required_files = "hw2", ["gan.py"]
    assignment.save(update_fields=["autograder", "required_files"])
    return assignment


@pytest.fixture
def hw2_class(course, hw2):
    """Four students: ann and ben (a renamed copy of ann's), cat (the starter), dan (his own)."""
    sources = {"ann": SOLUTION_A, "ben": SOLUTION_A_COPY, "cat": STARTER, "dan": SOLUTION_B}
    out = {}
    for username, source in sources.items():
        user = MembershipFactory(
            course=course, user=UserFactory(username=username), role=Membership.Role.STUDENT
        ).user
        out[username] = submission_create(
            assignment=hw2,
            student=user,
            uploads=[
                Upload(name="gan.py", data=source.encode()),
                Upload(name="report.pdf", data=b"%PDF-1.4\n%%EOF\n"),
            ],
            sources_statement="None",
            now=hw2.due_at - timedelta(hours=2),
        )
    return out
