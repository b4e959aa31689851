"""Pages of the gradebook: the staff's gradebook, its Canvas CSV, and the instructor's letter grades."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from hub.courses.access import access_course_as_instructor, access_course_as_staff

from . import clusters, selectors
from .exports import gradebook_canvas_csv
from .models import LetterCut
from .services import (
    LetterCutLocked,
    ThresholdWarnings,
    letter_cut_lock,
    letter_cut_save,
    letter_cut_unlock,
)

K_CHOICES = range(2, 9)


@require_GET
def gradebook(request, slug: str):
    course, membership = access_course_as_staff(request.user, slug)
    book = selectors.gradebook_for(course=course)
    return render(
        request,
        "gradebook/gradebook.html",
        {"course": course, "membership": membership, "book": book},
    )


@require_GET
def gradebook_csv(request, slug: str):
    course, _ = access_course_as_staff(request.user, slug)
    body = gradebook_canvas_csv(book=selectors.gradebook_for(course=course))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-grades-canvas.csv"'
    return response


def _int_or(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _posted_cut(post, k: int) -> tuple[list[str], list[str]]:
    thresholds = [post.get(f"threshold-{i}", "").strip() for i in range(1, k)]
    letters = [post.get(f"letter-{i}", "") for i in range(k)]
    return thresholds, letters


def _floats(values: list[str]) -> list[float] | None:
    try:
        out = [float(Decimal(v)) for v in values]
    except (InvalidOperation, ValueError):
        return None
    return out


def _letters_context(
    *,
    course,
    membership,
    book,
    k: int,
    method: str,
    thresholds: list[float],
    letters: list[str],
    **extra,
):
    cut = book.cut
    totals = book.totals
    summaries = selectors.cluster_summaries(
        totals=totals, thresholds=sorted(thresholds), letters=letters
    )
    return {
        "course": course,
        "membership": membership,
        "book": book,
        "cut": cut,
        "k": k,
        "k_choices": K_CHOICES,
        "method": method,
        "methods": LetterCut.Method.choices,
        "rows": [
            {"index": i, "value": t, "where": clusters.threshold_in_gap(totals=totals, value=t)}
            for i, t in enumerate(sorted(thresholds), start=1)
        ],
        "summaries": list(reversed(summaries)),  # best cluster first on the page
        "proposals": selectors.proposals_for(totals=totals, k=k),
        "gaps": selectors.gaps_for(totals=totals),
        "histogram": selectors.histogram_for(totals=totals, thresholds=thresholds),
        "letter_choices": selectors.LETTER_CHOICES,
        "history": selectors.letter_cut_history(cut=cut),
        "locked": bool(cut and cut.is_locked),
        # Lock what is saved, and only while the page shows it (not an unsaved proposal).
        "showing_saved": bool(
            cut
            and cut.thresholds
            and [float(t) for t in cut.thresholds] == sorted(thresholds)
            and list(cut.letters) == list(letters)
        ),
        "students_without_total": sum(r.total is None for r in book.rows),
        "warnings": clusters.thresholds_check(
            totals=totals,
            thresholds=thresholds,
            tolerance=float(
                cut.tie_tolerance if cut else LetterCut._meta.get_field("tie_tolerance").default
            ),
        )
        if totals
        else [],
        **extra,
    }


def _proposal(book, k: int, method: str) -> list[float]:
    totals = book.totals
    if method == LetterCut.Method.WIDEST_GAPS:
        return [round(t.value, 3) for t in clusters.thresholds_by_widest_gaps(totals=totals, k=k)]
    return [round(t.value, 3) for t in clusters.thresholds_by_kmeans(totals=totals, k=k)]


@require_GET
def letters(request, slug: str):
    course, membership = access_course_as_instructor(request.user, slug)
    book = selectors.gradebook_for(course=course)
    cut = book.cut
    if "k" in request.GET or cut is None or not cut.thresholds:
        k = min(
            max(_int_or(request.GET.get("k"), selectors.default_k()), K_CHOICES[0]), K_CHOICES[-1]
        )
        method = request.GET.get("method", LetterCut.Method.KMEANS)
        if method not in (LetterCut.Method.KMEANS, LetterCut.Method.WIDEST_GAPS):
            method = LetterCut.Method.KMEANS
        thresholds = _proposal(book, k, method)
        k = len(thresholds) + 1  # fewer distinct totals than clusters asked for
        letters_ = selectors.default_letters(k)
    else:
        k, method = cut.k, cut.method
        thresholds = [float(t) for t in cut.thresholds]
        letters_ = list(cut.letters)
    context = _letters_context(
        course=course,
        membership=membership,
        book=book,
        k=k,
        method=method,
        thresholds=thresholds,
        letters=letters_,
    )
    return render(request, "gradebook/letters.html", context)


@require_POST
def letters_preview(request, slug: str):
    """htmx: the histogram, clusters and warnings for the thresholds being edited (nothing saved)."""
    course, membership = access_course_as_instructor(request.user, slug)
    book = selectors.gradebook_for(course=course)
    k = _int_or(request.POST.get("k"), selectors.default_k())
    thresholds, letters_ = _posted_cut(request.POST, k)
    values = _floats(thresholds)
    context = _letters_context(
        course=course,
        membership=membership,
        book=book,
        k=k,
        method=request.POST.get("method", LetterCut.Method.MANUAL),
        thresholds=values if values is not None else [],
        letters=letters_,
        errors=[] if values is not None else ["Each threshold must be a number."],
    )
    return render(request, "gradebook/_letters_preview.html", context)


@require_POST
def letters_save(request, slug: str):
    course, membership = access_course_as_instructor(request.user, slug)
    k = _int_or(request.POST.get("k"), 0)
    thresholds, letters_ = _posted_cut(request.POST, k)
    method = request.POST.get("method", LetterCut.Method.MANUAL)
    values = _floats(thresholds)
    book = selectors.gradebook_for(course=course)
    if values is not None and method in (LetterCut.Method.KMEANS, LetterCut.Method.WIDEST_GAPS):
        # Moved by hand unless the thresholds are still the method's proposal.
        if sorted(values) != sorted(_proposal(book, k, method)):
            method = LetterCut.Method.MANUAL
    try:
        letter_cut_save(
            course=course,
            by=request.user,
            k=k,
            method=method,
            thresholds=thresholds,
            letters=letters_,
            accept_warnings=request.POST.get("accept_warnings") == "on",
            why=request.POST.get("why", ""),
        )
    except (ThresholdWarnings, LetterCutLocked, ValidationError) as exc:
        context = _letters_context(
            course=course,
            membership=membership,
            book=book,
            k=max(k, 1),
            method=method,
            thresholds=values or [],
            letters=letters_,
            errors=exc.messages,
            needs_acceptance=isinstance(exc, ThresholdWarnings),
        )
        return render(request, "gradebook/letters.html", context, status=422)
    messages.success(request, "Letter-grade thresholds saved.")
    return redirect("gradebook:letters", course.slug)


@require_POST
def letters_lock(request, slug: str):
    course, _ = access_course_as_instructor(request.user, slug)
    try:
        letter_cut_lock(course=course, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Letter grades locked.")
    return redirect("gradebook:letters", course.slug)


@require_POST
def letters_unlock(request, slug: str):
    course, _ = access_course_as_instructor(request.user, slug)
    try:
        letter_cut_unlock(course=course, by=request.user, why=request.POST.get("why", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Letter grades unlocked.")
    return redirect("gradebook:letters", course.slug)
