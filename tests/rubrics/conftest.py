from datetime import timedelta

import pytest

from hub.courses.models import Assignment, Membership
from hub.rubrics.services import rubric_item_create, rubric_question_create
from hub.submissions.bundles import Upload
from hub.submissions.services import submission_create

from ..factories import MembershipFactory, UserFactory

# A one-page PDF (what a scanned or typeset answer sheet is).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 44>>stream\nBT /F1 18 Tf 20 100 Td (Answer to Q1) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def store(settings, tmp_path):
    settings.SUBMISSION_STORE = tmp_path / "store"
    return settings.SUBMISSION_STORE


@pytest.fixture
def hw1(course):
    return Assignment.objects.get(course=course, slug="hw1")


@pytest.fixture
def submit_pdf():
    """submit_pdf(student, assignment, late=False): a real submission through the submissions service."""

    def make(student, assignment, *, late=False, name="answers.pdf"):
        when = assignment.due_at + (timedelta(hours=2) if late else -timedelta(hours=1))
        return submission_create(
            assignment=assignment,
            student=student,
            uploads=[
                Upload(name=name, data=PDF),
                Upload(name="vae.py", data=b"def elbo():\n    return 0.0\n"),
            ]
            + [
                Upload(name=f, data=b"# code\n") for f in assignment.required_files if f != "vae.py"
            ],
            sources_statement="None",
            now=when,
        )

    return make


@pytest.fixture
def rubric(hw1, ta):
    """Two questions of HW 1: Q1 adds points (10), Q2 deducts from full credit (5)."""
    q1 = rubric_question_create(assignment=hw1, by=ta, title="ELBO derivation", max_points=10)
    q2 = rubric_question_create(
        assignment=hw1, by=ta, title="KL term", max_points=5, scoring="negative"
    )
    items = {
        "q1_full": rubric_item_create(
            question=q1, by=ta, title="Correct derivation", points=10, comment="Well done"
        ),
        "q1_partial": rubric_item_create(question=q1, by=ta, title="Jensen step only", points=4),
        "q1_sign": rubric_item_create(
            question=q1, by=ta, title="Sign error", points=-2, comment="Check the sign of the KL"
        ),
        "q2_ok": rubric_item_create(question=q2, by=ta, title="Correct", points=0),
        "q2_missing": rubric_item_create(
            question=q2, by=ta, title="Missing closed form", points=-3
        ),
    }
    return q1, q2, items


@pytest.fixture
def students(course):
    return [
        MembershipFactory(
            course=course, user=UserFactory(username=f"st{i}"), role=Membership.Role.STUDENT
        ).user
        for i in range(3)
    ]
