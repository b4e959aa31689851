"""Point 1 in Chromium: drag and drop onto the page, the progress bar, the receipt, the error."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from hub.submissions.models import Submission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

DROP = """([name, text]) => {
  const dt = new DataTransfer();
  dt.items.add(new File([text], name, {type: "application/octet-stream"}));
  return dt;
}"""


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")


def test_drag_and_drop_upload_with_progress_and_receipt(page, live_server, hw1, student, store):
    from playwright.sync_api import expect

    hw1.due_at = timezone.now() + timedelta(days=1)
    hw1.save()
    log_in(page, live_server, student)
    page.goto(f"{live_server.url}/courses/{hw1.course.slug}/assignments/{hw1.slug}/")
    page.dispatch_event(
        "#dropzone",
        "drop",
        {"dataTransfer": page.evaluate_handle(DROP, ["model.py", "x = 1\n" * 5000])},
    )
    expect(page.locator("#chosen")).to_contain_text("model.py")
    page.fill("#sources", "None")
    # Record what the bar shows after each upload-progress event (before the request ends).
    page.evaluate(
        """() => { window.seen = []; document.getElementById("upload").addEventListener(
            "htmx:xhr:progress", () => setTimeout(() => { const p = document.getElementById("progress");
            window.seen.push([p.hidden, p.value]); }, 0)); }"""
    )
    page.click("#upload button[type=submit]")
    expect(page.locator("#upload-result")).to_contain_text("Received")
    seen = page.evaluate("window.seen")
    assert seen and all(not hidden for hidden, _ in seen) and max(v for _, v in seen) > 0
    sub = Submission.objects.get()
    expect(page.locator("#upload-result")).to_contain_text(sub.sha256)
    assert page.locator("#progress").evaluate("p => p.value") == 100
    # The list below refreshes itself (HX-Trigger) without a reload.
    expect(page.locator("#submission-list")).to_contain_text("counts")


def test_a_refused_upload_shows_why_on_the_page(page, live_server, hw1, student, store):
    from playwright.sync_api import expect

    hw1.due_at = timezone.now() + timedelta(days=1)
    hw1.required_files = ["model.py"]
    hw1.save()
    log_in(page, live_server, student)
    page.goto(f"{live_server.url}/courses/{hw1.course.slug}/assignments/{hw1.slug}/")
    page.dispatch_event(
        "#dropzone", "drop", {"dataTransfer": page.evaluate_handle(DROP, ["notes.py", "y = 2\n"])}
    )
    page.fill("#sources", "None")
    page.click("#upload button[type=submit]")
    expect(page.locator("#upload-result")).to_contain_text("Missing required file: model.py")
    assert not Submission.objects.exists()
