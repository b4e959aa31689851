"""A TA grades a written part with the rubric, by keyboard, the PDF beside the rubric."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from hub.submissions.models import Grade

from ..rubrics.conftest import PDF  # noqa: F401  (the answer sheet the student uploads)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CURRENT = re.compile(r"\bcurrent\b")


@pytest.fixture(autouse=True)
def store(settings, tmp_path):
    settings.SUBMISSION_STORE = tmp_path / "store"


def test_ta_applies_rubric_items_with_the_keyboard(
    page, phone, live_server, login, screenshot, course, ta, student, rubric_setup
):
    hw1, submission, items = rubric_setup
    login(page, ta)
    page.goto(f"{live_server.url}/courses/{course.slug}/assignments/{hw1.slug}/grading/")
    expect(page.get_by_text("0 of 1 submission fully graded")).to_be_visible()
    screenshot(page, "rubric-queue")
    page.get_by_role("link", name="Grade the next one").click()

    expect(page.locator("iframe[title='Submitted PDF: answers.pdf']")).to_be_visible()
    first = page.locator("fieldset.question").nth(0)
    expect(first).to_have_class(re.compile(r"\bcurrent\b"))
    screenshot(page, "rubric-grading-before")

    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads
    page.keyboard.press("2")  # Q1, item 2: "Jensen step only" (+4)
    expect(first.get_by_role("button", name=re.compile("Jensen step only"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#rubric-score")).to_contain_text("1 of 2 questions graded")
    expect(first).to_have_class(CURRENT)  # htmx replaced the panel: Q1 is still the current one

    # At once, while the new panel may not have settled yet (its forms not bound by htmx).
    page.keyboard.press("j")  # next question
    second = page.locator("fieldset.question").nth(1)
    expect(second).to_have_class(CURRENT)
    page.keyboard.press("2")  # Q2, item 2: "Missing closed form" (−3 from 5)
    expect(second.get_by_role("button", name=re.compile("Missing closed form"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#rubric-score")).to_contain_text("Rubric: 6 / 15")
    # The panel was replaced by htmx; the current question is still the second one, the only one.
    expect(second).to_have_class(CURRENT)
    expect(page.locator("fieldset.question.current")).to_have_count(1)
    assert page.evaluate("window.stillTheSamePage") is True  # swapped by htmx, never reloaded
    expect(page.locator("#rubric-score")).to_contain_text("graded")
    expect(page.locator("#grade-summary")).to_contain_text("rubric 6.000")
    screenshot(page, "rubric-grading-after")
    assert Grade.objects.get(student=student, assignment=hw1).rubric_points == Decimal(6)

    # Without shortcuts: focus an item, press Enter; the focus stays on it after the swap.
    full = page.get_by_role("button", name=re.compile("Correct derivation"))
    full.focus()
    page.keyboard.press("Enter")
    expect(full).to_have_attribute("aria-pressed", "true")
    expect(full).to_be_focused()
    expect(page.locator("#rubric-score")).to_contain_text("Rubric: 12 / 15")  # 4 + 10, capped at 10

    # The same page on a phone: the PDF and the rubric stack, the items stay reachable.
    login(phone, ta)
    phone.goto(page.url)
    expect(phone.get_by_role("button", name=re.compile("Jensen step only"))).to_have_attribute(
        "aria-pressed", "true"
    )
    screenshot(phone, "rubric-grading-phone")


# The keys of rubric_setup's items: question index -> number key -> (item, points).
KEYS = {
    0: {"1": ("q1_full", 10), "2": ("q1_partial", 4)},
    1: {"1": ("q2_ok", 0), "2": ("q2_missing", -3)},
}
MAX = {0: 10, 1: 5}
BASE = {0: 0, 1: 5}  # Q2 deducts from full credit
# Bursts of keys pressed without waiting for the server: items on the later question, some
# pressed twice (applied, then removed), some with j/k between the items.
BURSTS = ["j2121", "1212", "22221", "2k1j2", "1k2j21"]


def _expected_total(applied):
    total = 0
    for q in (0, 1):
        raw = BASE[q] + sum(p for (key, p) in KEYS[q].values() if key in applied)
        total += min(max(raw, 0), MAX[q])
    return total


def test_quick_shortcut_presses_keep_the_current_question_across_every_swap(
    page, live_server, login, course, ta, student, rubric_setup
):
    """Items pressed in quick bursts, faster than the server answers and faster than htmx settles
    each new panel: every press is applied once, in order, through htmx (no page reload), and
    after every swap the current question is the one the grader is on."""
    from hub.rubrics.models import RubricApplication
    from hub.rubrics.selectors import grading_state_for

    hw1, submission, items = rubric_setup
    login(page, ta)
    page.goto(
        f"{live_server.url}/courses/{course.slug}/assignments/{hw1.slug}/grading/{submission.pk}/"
    )
    questions = page.locator("fieldset.question")
    expect(questions.nth(0)).to_have_class(CURRENT)

    sent, finished = [], []  # the toggle POSTs: their HX-Request header; the answered ones
    page.on(
        "request",
        lambda r: (
            sent.append(r.headers.get("hx-request"))
            if r.method == "POST" and "/toggle/" in r.url
            else None
        ),
    )
    page.on(
        "requestfinished",
        lambda r: finished.append(r.url) if r.method == "POST" and "/toggle/" in r.url else None,
    )
    # Which question is marked right after each swap and after each settle (these listeners run
    # after the page's own); a reload would drop them and the flag.
    page.evaluate(
        """() => {
        window.stillTheSamePage = true;
        window.marks = [];
        const record = () => window.marks.push(
            [...document.querySelectorAll('#rubric-panel fieldset.question')]
                .findIndex((q) => q.classList.contains('current')));
        document.addEventListener('htmx:afterSwap', record);
        document.addEventListener('htmx:afterSettle', record);
    }"""
    )

    current, applied, presses = 0, set(), 0
    for round_ in range(3):
        for burst in BURSTS:
            page.evaluate("window.marks = []")
            items_in_burst, moved_between = 0, False
            for key in burst:
                page.keyboard.press(key)
                if key in "jk":
                    current = min(max(current + (1 if key == "j" else -1), 0), 1)
                    moved_between = moved_between or items_in_burst > 0
                else:
                    applied ^= {KEYS[current][key][0]}
                    items_in_burst += 1
            presses += items_in_burst
            where = f"round {round_}, burst {burst!r}"

            # Every press answered, each with one swap that settled.
            deadline = 300  # × 100 ms
            while len(finished) < presses and deadline:
                page.wait_for_timeout(100)
                deadline -= 1
            assert len(finished) == presses, where
            page.wait_for_function("(n) => window.marks.length >= n", arg=2 * items_in_burst)
            marks = page.evaluate("window.marks")
            assert len(marks) == 2 * items_in_burst, (where, marks)
            if moved_between:
                assert marks[-1] == current, (where, marks)
            else:  # no j/k once the items were pressed: every swap keeps the same question
                assert marks == [current] * len(marks), (where, marks)
            expect(questions.nth(current)).to_have_class(CURRENT)
            expect(page.locator("fieldset.question.current")).to_have_count(1)

            for q, keys in KEYS.items():
                for key, (name, _) in keys.items():
                    expect(
                        questions.nth(q).locator(f'button.item[data-shortcut="{key}"]')
                    ).to_have_attribute("aria-pressed", "true" if name in applied else "false")
            total = _expected_total(applied)
            expect(page.locator("#rubric-score")).to_contain_text(f"Rubric: {total} / 15")
            assert page.evaluate("window.stillTheSamePage") is True, where
            assert sent == ["true"] * presses, where  # all through htmx, none a plain form POST
            in_db = set(
                RubricApplication.objects.filter(submission=submission).values_list(
                    "item_id", flat=True
                )
            )
            assert in_db == {items[name].pk for name in applied}, where
            assert grading_state_for(submission=submission).total == total, where


def test_editing_an_item_in_the_browser_rescores_the_graded_submission(
    page, live_server, login, screenshot, course, ta, student, rubric_setup
):
    from hub.rubrics.services import rubric_item_toggle

    hw1, submission, items = rubric_setup
    rubric_item_toggle(item=items["q1_partial"], submission=submission, by=ta)
    rubric_item_toggle(item=items["q2_ok"], submission=submission, by=ta)
    assert Grade.objects.get(student=student, assignment=hw1).rubric_points == Decimal(9)

    login(page, ta)
    page.goto(f"{live_server.url}/courses/{course.slug}/assignments/{hw1.slug}/rubric/")
    row = page.locator(f"#item-{items['q1_partial'].pk}")
    row.get_by_text("Edit").click()
    row.get_by_label("Points").fill("5")
    expect(row.get_by_text("Applies to 1 submission")).to_be_visible()
    row.get_by_role("button", name="Save item").click()
    expect(page.get_by_role("status")).to_contain_text("applies to 1 submission, rescored")
    screenshot(page, "rubric-editor")
    assert Grade.objects.get(student=student, assignment=hw1).rubric_points == Decimal(10)
