"""Browser tests: Playwright driving Debian's headless Chromium against pytest-django's live_server.

Playwright's sync API runs an event loop in this thread, which trips Django's async-unsafe check
on every ORM call made from the test itself; the live server runs in its own thread, so allowing
it here is safe.
"""

import os
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-for-tests-1"  # the personas' password (tests/factories.py)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def expect_timeout(ms: int) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=ms)


# One Chromium per test module, not per session: Playwright's sync API keeps an event loop
# running while it is started, and a module that starts its own Playwright must find none.
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.set_default_timeout(30_000)  # generous: the machine running the suite may be busy
    expect_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    """A phone-sized page (iPhone 13-like viewport, touch)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(live_server):
    """login(page, user): through the login form at /accounts/login/, as a person would."""

    def do(page, user):
        from playwright.sync_api import expect

        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

    return do


@pytest.fixture
def screenshot():
    """screenshot(page, name): a full-page PNG under screenshots/, its path printed."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def shoot(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        assert path.stat().st_size > 0
        return path

    return shoot


@pytest.fixture
def rubric_setup(course, ta, student, settings, tmp_path):
    """HW 1 with a two-question rubric and the student's submission (a PDF and the code)."""
    from datetime import timedelta

    from hub.courses.models import Assignment
    from hub.rubrics.services import rubric_item_create, rubric_question_create
    from hub.submissions.bundles import Upload
    from hub.submissions.services import submission_create

    from ..rubrics.conftest import PDF

    settings.SUBMISSION_STORE = tmp_path / "store"
    hw1 = Assignment.objects.get(course=course, slug="hw1")
    q1 = rubric_question_create(assignment=hw1, by=ta, title="ELBO derivation", max_points=10)
    q2 = rubric_question_create(
        assignment=hw1, by=ta, title="KL term", max_points=5, scoring="negative"
    )
    items = {
        "q1_full": rubric_item_create(
            question=q1, by=ta, title="Correct derivation", points=10, comment="Well done"
        ),
        "q1_partial": rubric_item_create(question=q1, by=ta, title="Jensen step only", points=4),
        "q2_ok": rubric_item_create(question=q2, by=ta, title="Correct", points=0),
        "q2_missing": rubric_item_create(
            question=q2, by=ta, title="Missing closed form", points=-3
        ),
    }
    uploads = [Upload(name="answers.pdf", data=PDF)] + [
        Upload(name=f, data=b"# code\n") for f in hw1.required_files
    ]
    submission = submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads,
        sources_statement="None",
        now=hw1.due_at - timedelta(hours=1),
    )
    return hw1, submission, items
