"""Writes of the gradebook: the instructor's letter-grade decision (save, lock, unlock)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hub.courses.models import Course

from . import clusters
from .models import LetterCut, LetterCutChange
from .selectors import LETTER_CHOICES, gradebook_for

THRESHOLD_PLACES = Decimal("0.001")


class LetterCutLocked(ValidationError):
    """The letters are locked: unlock them first (an explicit, recorded step)."""


class ThresholdWarnings(ValidationError):
    """Thresholds that do not sit in real gaps; saved only once the instructor accepts them."""

    def __init__(self, warnings: list[str]):
        super().__init__(warnings)
        self.warnings = warnings


def _parse_thresholds(thresholds) -> list[Decimal]:
    try:
        values = [Decimal(str(t)).quantize(THRESHOLD_PLACES) for t in thresholds]
    except InvalidOperation as exc:
        raise ValidationError("Each threshold must be a number.") from exc
    if any(not v.is_finite() for v in values):
        raise ValidationError("Each threshold must be a number.")
    return sorted(values)


def _locked_cut(course: Course) -> LetterCut:
    cut, _ = LetterCut.objects.select_for_update().get_or_create(course=course)
    return cut


@transaction.atomic
def letter_cut_save(
    *,
    course: Course,
    by,
    k: int,
    method: str,
    thresholds,
    letters: list[str],
    accept_warnings: bool = False,
    why: str = "",
) -> LetterCut:
    """Store k, the thresholds (ascending) and a letter per cluster (lowest first).

    Raises LetterCutLocked when the cut is locked, ValidationError when the input is inconsistent,
    ThresholdWarnings when a threshold separates (nearly) equal totals or leaves a cluster empty
    and `accept_warnings` is false.
    """
    cut = _locked_cut(course)
    if cut.is_locked:
        raise LetterCutLocked("The letter grades are locked; unlock them to change anything.")
    values = _parse_thresholds(thresholds)
    if len(values) != k - 1:
        raise ValidationError(f"{k} clusters need {k - 1} thresholds, not {len(values)}.")
    if len(letters) != k:
        raise ValidationError(f"{k} clusters need {k} letters, not {len(letters)}.")
    unknown = [letter for letter in letters if letter not in LETTER_CHOICES]
    if unknown:
        raise ValidationError(f"Unknown letter(s): {', '.join(unknown)}.")
    if method not in LetterCut.Method.values:
        raise ValidationError(f"Unknown method {method!r}.")

    totals = gradebook_for(course=course).totals
    warnings = clusters.thresholds_check(
        totals=totals, thresholds=[float(v) for v in values], tolerance=float(cut.tie_tolerance)
    )
    if warnings and not accept_warnings:
        raise ThresholdWarnings(warnings)

    cut.k = k
    cut.method = method
    cut.thresholds = [str(v) for v in values]
    cut.letters = list(letters)
    cut.accepted_warnings = warnings
    cut.updated_by = by
    cut.full_clean()
    cut.save()
    LetterCutChange.objects.create(
        cut=cut,
        action=LetterCutChange.Action.SAVE,
        by=by,
        k=k,
        thresholds=cut.thresholds,
        letters=cut.letters,
        why=why,
    )
    return cut


@transaction.atomic
def letter_cut_lock(*, course: Course, by) -> LetterCut:
    """Freeze the letters: record each student's total and letter as they are now."""
    cut = _locked_cut(course)
    if cut.is_locked:
        raise LetterCutLocked("The letter grades are already locked.")
    if len(cut.letters) != cut.k or len(cut.thresholds) != cut.k - 1:
        raise ValidationError("Save thresholds and a letter for every cluster before locking.")
    book = gradebook_for(course=course)
    cut.locked_at = timezone.now()
    cut.locked_by = by
    cut.locked_letters = [
        {
            "student_id": row.student.id,
            "username": row.student.username,
            "total": str(row.total) if row.total is not None else None,
            "letter": row.letter,
        }
        for row in book.rows
    ]
    cut.save(update_fields=["locked_at", "locked_by", "locked_letters", "updated_at"])
    LetterCutChange.objects.create(
        cut=cut,
        action=LetterCutChange.Action.LOCK,
        by=by,
        k=cut.k,
        thresholds=cut.thresholds,
        letters=cut.letters,
    )
    return cut


@transaction.atomic
def letter_cut_unlock(*, course: Course, by, why: str) -> LetterCut:
    """Reopen locked letters; the reason is kept in the history."""
    if not why.strip():
        raise ValidationError("Say why the letters are unlocked.")
    cut = _locked_cut(course)
    if not cut.is_locked:
        raise ValidationError("The letter grades are not locked.")
    cut.locked_at = None
    cut.locked_by = None
    cut.save(update_fields=["locked_at", "locked_by", "updated_at"])
    LetterCutChange.objects.create(
        cut=cut,
        action=LetterCutChange.Action.UNLOCK,
        by=by,
        k=cut.k,
        thresholds=cut.thresholds,
        letters=cut.letters,
        why=why.strip(),
    )
    return cut
