"""In Chromium: a student uploads their homework and watches the report arrive, live."""

import os
from pathlib import Path

import pytest
from django.utils import timezone

from ..factories import AssignmentFactory
from ..grading.conftest import FIXTURES, TOY
from ..grading.workers import celery_worker, require_shared_database

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        yield page
        browser.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_student_uploads_and_watches_the_report_arrive(
    chromium_page, live_server, course, student, settings, tmp_path
):
    from playwright.sync_api import expect

    require_shared_database()
    settings.ASSIGNMENTS_DIR = FIXTURES
    settings.GRADER_WORK_DIR = tmp_path / "grading"
    settings.GRADER_WORK_DIR.mkdir()
    toy = AssignmentFactory(
        course=course,
        slug="toy",
        title="Toy homework",
        autograder="toy",
        required_files=["solution.py"],
        due_at=timezone.now() + timezone.timedelta(days=2),
    )
    page = chromium_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", student.username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/courses/{course.slug}/assignments/{toy.slug}/")
    expect(page.get_by_role("heading", name="Toy homework")).to_be_visible()
    shot(page, "student-assignment")
    page.set_input_files("#files", str(TOY / "reference" / "solution.py"))
    page.fill("#sources", "None")
    page.click("#upload button[type=submit]")
    expect(page.locator("#upload-result")).to_contain_text("Received", timeout=30_000)
    shot(page, "student-receipt")
    submission = toy.submissions.get(student=student)
    page.goto(f"{live_server.url}/courses/{course.slug}/submissions/{submission.pk}/report/")
    expect(page.locator("#grading-status")).to_contain_text("Queued")
    with celery_worker("browser", ASSIGNMENTS_DIR=str(FIXTURES)):
        # No reload: htmx polls the status fragment until the report is there.
        expect(page.locator("#grading-status")).to_contain_text("Score: 2", timeout=240_000)
    status = page.locator("#grading-status")
    expect(status).to_contain_text("affine_values")
    expect(status).not_to_contain_text("affine_shape")  # hidden from students
    shot(page, "student-report")
