"""Letter grades: proposals in the gaps, moving thresholds with warnings, letters, lock and unlock."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hub.gradebook.models import LetterCut, LetterCutChange
from hub.gradebook.selectors import gradebook_for
from hub.gradebook.services import (
    LetterCutLocked,
    ThresholdWarnings,
    letter_cut_lock,
    letter_cut_save,
    letter_cut_unlock,
)

pytestmark = pytest.mark.django_db

# Homework-only grades so that totals equal the points: three clear clusters.
POINTS = [95, 93, 92, 84, 83, 81, 80.2, 80, 62, 60]


@pytest.fixture
def graded_class(course, enroll, grade, assignments):
    from hub.courses.models import GradeComponent

    # One component with weight, the others emptied of assignments' weight: keep it simple by
    # giving each student the same points on every assignment, so the total is the points.
    students = enroll(len(POINTS))
    for s, p in zip(students, POINTS, strict=True):
        for a in assignments.values():
            grade(s, a, p)
    assert GradeComponent.objects.filter(course=course).count() == 4
    return students


def test_totals_are_the_points_when_every_assignment_has_them(course, graded_class):
    assert sorted(gradebook_for(course=course).totals) == sorted(float(p) for p in POINTS)


def test_save_stores_thresholds_letters_and_history(course, instructor, graded_class):
    cut = letter_cut_save(
        course=course,
        by=instructor,
        k=3,
        method="kmeans",
        thresholds=["87.5", "71"],
        letters=["C", "B", "A"],
    )
    assert cut.thresholds == ["71.000", "87.500"] and cut.letters == ["C", "B", "A"]
    assert cut.changes.get().action == LetterCutChange.Action.SAVE
    letters = {r.student.username: r.letter for r in gradebook_for(course=course).rows}
    assert letters["s000"] == "A" and letters["s003"] == "B" and letters["s009"] == "C"


def test_a_threshold_between_nearly_equal_totals_needs_acceptance(course, instructor, graded_class):
    with pytest.raises(ThresholdWarnings) as exc:
        letter_cut_save(
            course=course,
            by=instructor,
            k=3,
            method="manual",
            thresholds=["80.1", "87.5"],
            letters=["C", "B", "A"],
        )
    assert "80.00 and 80.20" in exc.value.warnings[0]
    assert (
        not LetterCut.objects.filter(course=course, thresholds__len=2).exists()
        or LetterCut.objects.get(course=course).thresholds == []
    )
    cut = letter_cut_save(
        course=course,
        by=instructor,
        k=3,
        method="manual",
        thresholds=["80.1", "87.5"],
        letters=["C", "B", "A"],
        accept_warnings=True,
    )
    assert cut.accepted_warnings and cut.thresholds == ["80.100", "87.500"]


def test_inconsistent_input_is_refused(course, instructor, graded_class):
    with pytest.raises(ValidationError):
        letter_cut_save(
            course=course,
            by=instructor,
            k=3,
            method="kmeans",
            thresholds=["80"],
            letters=["B", "A"],
        )
    with pytest.raises(ValidationError):
        letter_cut_save(
            course=course,
            by=instructor,
            k=2,
            method="kmeans",
            thresholds=["80"],
            letters=["B", "Z"],
        )
    with pytest.raises(ValidationError):
        letter_cut_save(
            course=course,
            by=instructor,
            k=2,
            method="kmeans",
            thresholds=["eighty"],
            letters=["B", "A"],
        )


def test_lock_records_letters_and_refuses_changes_until_unlocked(course, instructor, graded_class):
    letter_cut_save(
        course=course,
        by=instructor,
        k=3,
        method="kmeans",
        thresholds=["71", "87.5"],
        letters=["C", "B", "A"],
    )
    cut = letter_cut_lock(course=course, by=instructor)
    assert cut.is_locked and cut.locked_by == instructor
    snapshot = {e["username"]: (e["total"], e["letter"]) for e in cut.locked_letters}
    assert snapshot["s000"] == ("95.00", "A") and snapshot["s009"] == ("60.00", "C")
    with pytest.raises(LetterCutLocked):
        letter_cut_save(
            course=course,
            by=instructor,
            k=2,
            method="manual",
            thresholds=["85"],
            letters=["B", "A"],
        )
    with pytest.raises(LetterCutLocked):
        letter_cut_lock(course=course, by=instructor)
    with pytest.raises(ValidationError):
        letter_cut_unlock(course=course, by=instructor, why="  ")
    letter_cut_unlock(course=course, by=instructor, why="A regrade changed a total")
    letter_cut_save(
        course=course, by=instructor, k=2, method="manual", thresholds=["85"], letters=["B", "A"]
    )
    actions = list(LetterCut.objects.get(course=course).changes.values_list("action", flat=True))
    assert actions == ["save", "unlock", "lock", "save"]


def test_lock_needs_a_saved_cut(course, instructor, graded_class):
    with pytest.raises(ValidationError):
        letter_cut_lock(course=course, by=instructor)


def test_letters_page_proposes_both_methods_with_gap_widths(
    client, course, instructor, graded_class
):
    client.force_login(instructor)
    response = client.get(
        reverse("gradebook:letters", args=[course.slug]), {"k": 3, "method": "widest_gaps"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The k−1 widest gaps" in body and "Optimal 1-D k-means" in body
    assert "(gap 18.00: 62.00–80.00)" in body and "(gap 8.00: 84.00–92.00)" in body
    assert 'value="71.000"' in body and 'value="88.000"' in body
    assert "<svg" in body and 'role="img"' in body


def test_saving_through_the_page_moves_a_threshold_and_marks_it_manual(
    client, course, instructor, graded_class
):
    client.force_login(instructor)
    url = reverse("gradebook:letters_save", args=[course.slug])
    form = {
        "k": 3,
        "method": "kmeans",
        "threshold-1": "70",
        "threshold-2": "90",
        "letter-0": "C",
        "letter-1": "B",
        "letter-2": "A",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    cut = LetterCut.objects.get(course=course)
    assert (
        cut.method == "manual"
        and cut.thresholds == ["70.000", "90.000"]
        and cut.updated_by == instructor
    )


def test_a_warning_on_the_page_keeps_the_form_until_accepted(
    client, course, instructor, graded_class
):
    client.force_login(instructor)
    url = reverse("gradebook:letters_save", args=[course.slug])
    form = {"k": 2, "method": "manual", "threshold-1": "80.1", "letter-0": "B", "letter-1": "A"}
    response = client.post(url, form)
    assert response.status_code == 422
    assert (
        "80.00 and 80.20" in response.content.decode()
        and 'name="accept_warnings"' in response.content.decode()
    )
    assert client.post(url, {**form, "accept_warnings": "on"}).status_code == 302
    assert LetterCut.objects.get(course=course).thresholds == ["80.100"]


def test_preview_returns_the_fragment_with_clusters_and_warnings(
    client, course, instructor, graded_class
):
    client.force_login(instructor)
    response = client.post(
        reverse("gradebook:letters_preview", args=[course.slug]),
        {"k": 2, "threshold-1": "80.1", "letter-0": "B", "letter-1": "A"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith('<div id="preview"')
    assert "80.00 and 80.20" in body and "<svg" in body


def test_lock_and_unlock_through_the_page(client, course, instructor, graded_class):
    client.force_login(instructor)
    letter_cut_save(
        course=course, by=instructor, k=2, method="manual", thresholds=["71"], letters=["C", "A"]
    )
    client.post(reverse("gradebook:letters_lock", args=[course.slug]))
    page = client.get(reverse("gradebook:letters", args=[course.slug])).content.decode()
    assert "Changing the letters needs an explicit unlock" in page
    response = client.post(
        reverse("gradebook:letters_save", args=[course.slug]),
        {"k": 2, "method": "manual", "threshold-1": "85", "letter-0": "B", "letter-1": "A"},
    )
    assert response.status_code == 422
    assert LetterCut.objects.get(course=course).thresholds == ["71.000"]
    client.post(reverse("gradebook:letters_unlock", args=[course.slug]), {"why": "late regrade"})
    assert not LetterCut.objects.get(course=course).is_locked


def test_only_the_instructor_decides_letters(client, course, ta, student, outsider):
    urls = [
        reverse(f"gradebook:{name}", args=[course.slug])
        for name in ("letters_save", "letters_lock", "letters_unlock", "letters_preview")
    ]
    for user, expected in ((ta, 403), (student, 403), (outsider, 404)):
        client.force_login(user)
        assert client.get(reverse("gradebook:letters", args=[course.slug])).status_code == expected
        for url in urls:
            assert (
                client.post(url, {"k": 2, "threshold-1": "80", "why": "x"}).status_code == expected
            )
    assert not LetterCut.objects.exists()


def test_tie_tolerance_is_a_setting_of_the_cut(course, instructor, graded_class):
    LetterCut.objects.create(course=course, tie_tolerance=Decimal("0.10"))
    # 80.0 and 80.2 are 0.2 apart: with a tolerance of 0.1 this is a real gap.
    cut = letter_cut_save(
        course=course, by=instructor, k=2, method="manual", thresholds=["80.1"], letters=["B", "A"]
    )
    assert cut.accepted_warnings == []


def test_lock_is_offered_only_for_what_is_saved(client, course, instructor, graded_class):
    client.force_login(instructor)
    url = reverse("gradebook:letters", args=[course.slug])
    assert (
        "Save these thresholds and letters to be able to lock them"
        in client.get(url).content.decode()
    )
    letter_cut_save(
        course=course,
        by=instructor,
        k=3,
        method="manual",
        thresholds=["71", "88"],
        letters=["C", "B", "A"],
    )
    assert 'id="lock-button"' in client.get(url).content.decode()
    proposal = client.get(url, {"k": 2, "method": "kmeans"}).content.decode()
    assert 'id="lock-button"' not in proposal and "to be able to lock them" in proposal


def test_locked_letters_stay_when_a_total_changes_and_the_change_is_shown(
    client, course, instructor, graded_class, grade, assignments
):
    letter_cut_save(
        course=course,
        by=instructor,
        k=3,
        method="manual",
        thresholds=["71", "88"],
        letters=["C", "B", "A"],
    )
    letter_cut_lock(course=course, by=instructor)
    # A regrade lifts s003 (84) to 90 on every assignment: above the A threshold now.
    for a in assignments.values():
        grade(graded_class[3], a, 90)
    row = next(r for r in gradebook_for(course=course).rows if r.student == graded_class[3])
    assert row.total == Decimal("90.00") and row.letter == "B" and row.changed_since_lock
    client.force_login(instructor)
    page = client.get(reverse("gradebook:letters", args=[course.slug])).content.decode()
    assert (
        "1 total changed since the letters were locked" in page
        and "s003: 84.00 → 90.00, letter B" in page
    )
    csv_text = client.get(reverse("gradebook:canvas_csv", args=[course.slug])).content.decode()
    assert next(line for line in csv_text.splitlines() if ",s003," in line).endswith(",90,B")
