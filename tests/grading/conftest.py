from pathlib import Path

import pytest

from hub.submissions.bundles import Upload
from hub.submissions.services import submission_create

from ..factories import AssignmentFactory

FIXTURES = Path(__file__).resolve().parents[1] / "grader" / "fixtures"
TOY = FIXTURES / "toy"


@pytest.fixture
def toy_assignments(settings):
    settings.ASSIGNMENTS_DIR = FIXTURES
    return FIXTURES


@pytest.fixture
def toy(course, toy_assignments):
    """An autograded assignment of the course, graded by the grader's toy spec."""
    return AssignmentFactory(course=course, slug="toy", title="Toy", autograder="toy", required_files=["solution.py"])


def solution(kind: str = "reference", *, extra: str = "") -> list[Upload]:
    source = (TOY / kind / "solution.py").read_text()
    return [Upload(name="solution.py", data=(source + extra).encode())]


def submit(assignment, student, kind: str = "reference", *, extra: str = ""):
    return submission_create(
        assignment=assignment, student=student, uploads=solution(kind, extra=extra), sources_statement="None"
    )
