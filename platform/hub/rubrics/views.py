"""Pages of rubric grading: the rubric editor, the grading queue, and one submission graded with
the PDF beside the rubric (htmx partials; keyboard shortcuts in static/rubrics/grading.js)."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from hub.submissions.access import (
    access_assignment,
    access_assignment_as_staff,
    access_submission_by_id,
    access_submission_file,
)
from hub.submissions.selectors import grade_visible_to, submission_active_for
from hub.submissions.store import blob_open

from . import selectors, services
from .models import RubricItem, RubricQuestion


def _question(assignment, question_id: int) -> RubricQuestion:
    question = (
        RubricQuestion.objects.filter(assignment=assignment, pk=question_id)
        .select_related("assignment")
        .first()
    )
    if question is None:
        raise Http404("No such question")
    return question


def _item(assignment, item_id: int) -> RubricItem:
    item = (
        RubricItem.objects.filter(question__assignment=assignment, pk=item_id)
        .select_related("question__assignment__course")
        .first()
    )
    if item is None:
        raise Http404("No such rubric item")
    return item


def _staff_submission(request, slug, assignment_slug, submission_id):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    submission, _ = access_submission_by_id(request.user, submission_id, assignment=assignment)
    return assignment, membership, submission


# --- the rubric editor -------------------------------------------------------------------------


def _edit_context(assignment, membership, **extra):
    questions = selectors.rubric_for(assignment=assignment)
    return {
        "course": assignment.course,
        "assignment": assignment,
        "membership": membership,
        "questions": questions,
        "scoring_choices": RubricQuestion.Scoring.choices,
        "rubric_max": sum((q.max_points for q in questions), 0),
        **extra,
    }


@require_GET
def rubric_edit(request, slug: str, assignment_slug: str):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    return render(request, "rubrics/edit.html", _edit_context(assignment, membership))


def _back_to_editor(request, assignment, message: str | None = None, anchor: str = ""):
    if message:
        messages.success(request, message)
    return redirect(
        reverse("rubrics:edit", args=[assignment.course.slug, assignment.slug]) + anchor
    )


def _editor_error(request, assignment, membership, exc: ValidationError):
    return render(
        request,
        "rubrics/edit.html",
        _edit_context(assignment, membership, errors=exc.messages),
        status=422,
    )


@require_POST
def question_create(request, slug: str, assignment_slug: str):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    try:
        q = services.rubric_question_create(
            assignment=assignment,
            by=request.user,
            title=request.POST.get("title", ""),
            max_points=request.POST.get("max_points", ""),
            scoring=request.POST.get("scoring", RubricQuestion.Scoring.POSITIVE),
        )
    except ValidationError as exc:
        return _editor_error(request, assignment, membership, exc)
    return _back_to_editor(request, assignment, f"Question {q.number} added.", f"#question-{q.pk}")


@require_POST
def question_update(request, slug: str, assignment_slug: str, question_id: int):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    question = _question(assignment, question_id)
    try:
        question, affected = services.rubric_question_update(
            question=question,
            by=request.user,
            title=request.POST.get("title", ""),
            max_points=request.POST.get("max_points", ""),
            scoring=request.POST.get("scoring", question.scoring),
        )
    except ValidationError as exc:
        return _editor_error(request, assignment, membership, exc)
    return _back_to_editor(
        request,
        assignment,
        f"Question {question.number} saved; {affected} graded submission{'s' if affected != 1 else ''} rescored.",
        f"#question-{question.pk}",
    )


@require_POST
def item_create(request, slug: str, assignment_slug: str, question_id: int):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    question = _question(assignment, question_id)
    try:
        services.rubric_item_create(
            question=question,
            by=request.user,
            title=request.POST.get("title", ""),
            points=request.POST.get("points", ""),
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as exc:
        return _editor_error(request, assignment, membership, exc)
    return _back_to_editor(request, assignment, "Item added.", f"#question-{question.pk}")


@require_POST
def item_update(request, slug: str, assignment_slug: str, item_id: int):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    item = _item(assignment, item_id)
    try:
        item, affected = services.rubric_item_update(
            item=item,
            by=request.user,
            title=request.POST.get("title", ""),
            points=request.POST.get("points", ""),
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as exc:
        return _editor_error(request, assignment, membership, exc)
    return _back_to_editor(
        request,
        assignment,
        f"Item “{item.title}” saved; it applies to {affected} submission{'s' if affected != 1 else ''}, rescored.",
        f"#item-{item.pk}",
    )


@require_POST
def item_delete(request, slug: str, assignment_slug: str, item_id: int):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    item = _item(assignment, item_id)
    try:
        services.rubric_item_delete(item=item, by=request.user)
    except ValidationError as exc:
        return _editor_error(request, assignment, membership, exc)
    return _back_to_editor(request, assignment, "Item deleted.")


# --- grading -----------------------------------------------------------------------------------


@require_GET
def queue(request, slug: str, assignment_slug: str):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    entries, n_questions = selectors.grading_queue_for(assignment=assignment)
    next_ungraded = next((e for e in entries if e.graded_questions < n_questions), None)
    return render(
        request,
        "rubrics/queue.html",
        {
            "course": assignment.course,
            "assignment": assignment,
            "membership": membership,
            "entries": entries,
            "n_questions": n_questions,
            "next_ungraded": next_ungraded,
            "done": sum(e.graded_questions >= n_questions for e in entries) if n_questions else 0,
        },
    )


def _panel_context(request, assignment, membership, submission, **extra):
    entries, n_questions = selectors.grading_queue_for(assignment=assignment)
    previous_id, next_id = selectors.neighbours_in_queue(entries=entries, submission=submission)
    state = selectors.grading_state_for(submission=submission)
    return {
        "course": assignment.course,
        "assignment": assignment,
        "membership": membership,
        "submission": submission,
        "state": state,
        "previous_id": previous_id,
        "next_id": next_id,
        "position": next(
            (i for i, e in enumerate(entries, start=1) if e.submission.id == submission.id), None
        ),
        "queue_size": len(entries),
        "grade": next((e.grade for e in entries if e.submission.id == submission.id), None),
        **extra,
    }


@require_GET
def grade(request, slug: str, assignment_slug: str, submission_id: int):
    assignment, membership, submission = _staff_submission(
        request, slug, assignment_slug, submission_id
    )
    pdf = selectors.submission_pdf(submission=submission)
    context = _panel_context(
        request,
        assignment,
        membership,
        submission,
        pdf=pdf,
        files=list(submission.files.filter(kind="file")),
    )
    return render(request, "rubrics/grade.html", context)


def _after_grading_change(request, assignment, membership, submission, errors=None):
    if request.headers.get("HX-Request"):
        context = _panel_context(request, assignment, membership, submission, errors=errors or [])
        return render(request, "rubrics/_panel.html", context, status=422 if errors else 200)
    for e in errors or []:
        messages.error(request, e)
    return redirect("rubrics:grade", assignment.course.slug, assignment.slug, submission.pk)


@require_POST
def toggle(request, slug: str, assignment_slug: str, submission_id: int, item_id: int):
    assignment, membership, submission = _staff_submission(
        request, slug, assignment_slug, submission_id
    )
    item = _item(assignment, item_id)
    try:
        services.rubric_item_toggle(item=item, submission=submission, by=request.user)
    except ValidationError as exc:
        return _after_grading_change(
            request, assignment, membership, submission, errors=exc.messages
        )
    return _after_grading_change(request, assignment, membership, submission)


@require_POST
def note(request, slug: str, assignment_slug: str, submission_id: int, question_id: int):
    assignment, membership, submission = _staff_submission(
        request, slug, assignment_slug, submission_id
    )
    question = _question(assignment, question_id)
    try:
        services.rubric_note_set(
            question=question,
            submission=submission,
            by=request.user,
            adjustment=request.POST.get("adjustment", "0") or "0",
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as exc:
        return _after_grading_change(
            request, assignment, membership, submission, errors=exc.messages
        )
    return _after_grading_change(request, assignment, membership, submission)


@require_GET
@xframe_options_sameorigin  # shown in a frame beside the rubric
def submission_file(request, slug: str, assignment_slug: str, submission_id: int, file_id: int):
    assignment, _ = access_assignment_as_staff(request.user, slug, assignment_slug)
    file = access_submission_file(request.user, submission_id, file_id, assignment=assignment)
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if file.name.endswith((".py", ".ipynb")):
        content_type = "text/plain"  # code is read, never run or rendered
    if content_type not in ("application/pdf", "text/plain", "image/png", "image/jpeg"):
        content_type = "application/octet-stream"  # never render student HTML or SVG on our origin
    inline = content_type != "application/octet-stream"
    response = FileResponse(
        blob_open(file.sha256),
        content_type=content_type,
        as_attachment=not inline,
        filename=file.name.rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    if content_type != "application/pdf":
        # Chromium refuses to show a PDF under a sandbox policy; everything else gets one.
        response["Content-Security-Policy"] = "sandbox"
    return response


# --- what the student reads --------------------------------------------------------------------


@require_GET
def feedback(request, slug: str, assignment_slug: str):
    """The student's rubric feedback (items applied, comments, scores) once the grade is released."""
    assignment, membership = access_assignment(request.user, slug, assignment_slug)
    if membership.is_staff:
        return redirect("rubrics:queue", slug, assignment_slug)
    grade = grade_visible_to(student=request.user, assignment=assignment)
    submission = submission_active_for(student=request.user, assignment=assignment)
    state = selectors.rubric_feedback_for(submission=submission) if grade and submission else None
    return render(
        request,
        "rubrics/feedback.html",
        {
            "course": assignment.course,
            "assignment": assignment,
            "membership": membership,
            "grade": grade,
            "state": state,
        },
    )
