"""The instructor looks at the gradebook, moves a cluster threshold, maps letters, locks them and
downloads the CSV for Canvas."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from hub.courses.models import Assignment, Membership
from hub.gradebook.models import LetterCut
from hub.submissions.services import grade_record_rubric

from ..factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Four clusters: 93–96, 82–85, 69.6–71, 52–55.
TOTALS = [96, 94, 93, 85, 84, 83.5, 82, 71, 70, 69.6, 55, 52]


@pytest.fixture
def graded_class(course, ta):
    """Twelve students with the same points on every assignment: their total is those points."""
    assignments = list(Assignment.objects.filter(course=course))
    students = []
    for i, total in enumerate(TOTALS):
        user = UserFactory(username=f"stud{i:02d}", first_name=f"Student{i:02d}", last_name="Test")
        MembershipFactory(course=course, user=user, role=Membership.Role.STUDENT)
        for a in assignments:
            grade_record_rubric(student=user, assignment=a, points=total, by=ta, why="seed")
        students.append(user)
    return students


def test_instructor_moves_a_threshold_locks_the_letters_and_downloads_the_csv(
    page, phone, live_server, login, screenshot, course, instructor, graded_class
):
    login(page, instructor)
    page.get_by_role("navigation", name="Course").get_by_role("link", name="Gradebook").click()
    expect(page.get_by_role("heading", name=re.compile("Gradebook"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Student00 Test"))).to_contain_text("96.00")
    screenshot(page, "gradebook")

    page.get_by_role("link", name="Letter grades").first.click()
    expect(page.locator("#proposals")).to_contain_text("Optimal 1-D k-means")
    expect(page.locator("#proposals")).to_contain_text("(gap 8.00: 85.00–93.00)")
    expect(page.locator("#clusters tbody tr")).to_have_count(4)
    screenshot(page, "letters-proposed")

    # Move the B/C threshold between 83.5 and 84: only 0.5 apart, so the preview warns.
    threshold = page.get_by_label(re.compile("Threshold 2"))
    threshold.fill("83.75")
    threshold.press("Tab")
    expect(page.locator("#threshold-warnings")).to_contain_text("83.50 and 84.00")
    screenshot(page, "letters-warning")
    # Into the real gap between 71 and 82 instead: the warning goes away.
    threshold.fill("76")
    threshold.press("Tab")
    expect(page.locator("#threshold-warnings")).to_have_count(0)
    expect(page.locator("#threshold-gaps")).to_contain_text("71.00 and 82.00")
    expect(page.locator("#threshold-gaps tbody tr").nth(1)).to_contain_text("11.00")

    page.locator("#letter-0").select_option("D")  # the lowest cluster gets a D, not an F
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.get_by_role("status")).to_contain_text("Letter-grade thresholds saved.")
    cut = LetterCut.objects.get(course=course)
    assert cut.method == "manual" and "76.000" in cut.thresholds and cut.letters[0] == "D"

    page.get_by_role("button", name="Lock letters").click()
    expect(page.locator("#lock-state")).to_contain_text(
        "Changing the letters needs an explicit unlock"
    )
    expect(page.get_by_label(re.compile("Threshold 2"))).to_be_disabled()
    screenshot(page, "letters-locked")

    with page.expect_download() as download_info:
        page.locator("#download-csv").click()
    download = download_info.value
    assert download.suggested_filename == f"{course.slug}-grades-canvas.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0]["Student"].strip() == "Points Possible"
    letters = {r["SIS Login ID"]: r["Final Grade"] for r in rows[1:]}
    assert letters["stud00"] == "A" and letters["stud03"] == "B" and letters["stud07"] == "C"
    assert letters["stud11"] == "D"
    assert LetterCut.objects.get(course=course).is_locked

    # On a phone: the locked decision and the gradebook are readable (the table scrolls sideways).
    login(phone, instructor)
    phone.goto(page.url)
    expect(phone.locator("#lock-state")).to_be_visible()
    screenshot(phone, "letters-locked-phone")
    phone.goto(f"{live_server.url}/courses/{course.slug}/gradebook/")
    expect(phone.get_by_role("link", name="Download CSV for Canvas")).to_be_visible()
    screenshot(phone, "gradebook-phone")
