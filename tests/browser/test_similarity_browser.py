"""A TA compares the submissions of a homework and reads the most similar pair side by side."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.courses.models import Assignment, Membership
from hub.submissions.bundles import Upload
from hub.submissions.services import submission_create

from ..factories import MembershipFactory, UserFactory
from ..similarity.samples import SOLUTION_A, SOLUTION_A_COPY, SOLUTION_B, STARTER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hw2_submissions(course, settings, tmp_path):
    settings.SUBMISSION_STORE = tmp_path / "store"
    settings.ASSIGNMENTS_DIR = tmp_path / "assignments"
    (settings.ASSIGNMENTS_DIR / "hw2" / "starter").mkdir(parents=True)
    (settings.ASSIGNMENTS_DIR / "hw2" / "starter" / "gan.py").write_text(STARTER)
    hw2 = Assignment.objects.get(course=course, slug="hw2")
    hw2.autograder, hw2.required_files = "hw2", ["gan.py"]
    hw2.save(update_fields=["autograder", "required_files"])
    for username, source in (("ann", SOLUTION_A), ("ben", SOLUTION_A_COPY), ("dan", SOLUTION_B)):
        user = UserFactory(username=username)
        MembershipFactory(course=course, user=user, role=Membership.Role.STUDENT)
        submission_create(
            assignment=hw2,
            student=user,
            uploads=[Upload(name="gan.py", data=source.encode())],
            sources_statement="None",
            now=hw2.due_at - timedelta(hours=3),
        )
    return hw2


def test_ta_finds_the_copied_pair_and_sees_the_matching_regions(
    page, live_server, login, screenshot, course, ta, hw2_submissions
):
    login(page, ta)
    page.goto(f"{live_server.url}/courses/{course.slug}/assignments/hw2/similarity/")
    page.get_by_role("button", name="Compare the submissions").click()
    expect(page.locator("#run-summary")).to_contain_text("Compared 3 submissions")
    first = page.locator("#pairs tbody tr").first
    expect(first).to_contain_text("ann")
    expect(first).to_contain_text("ben")
    expect(first).to_contain_text("100%")
    screenshot(page, "similarity-pairs")

    first.get_by_role("link", name=re.compile("Side by side")).click()
    expect(page.get_by_role("heading", name=re.compile("ann and ben"))).to_be_visible()
    expect(page.locator("#regions tbody tr")).not_to_have_count(0)
    expect(page.locator("pre.code .line.match").first).to_be_visible()
    page.locator("#regions a[href='#b-m1']").click()
    expect(page).to_have_url(re.compile("#b-m1$"))
    screenshot(page, "similarity-side-by-side")
