"""Pages of code similarity: the ranked pairs of an assignment, and one pair side by side."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from hub.submissions.access import access_assignment_as_staff, access_submission_by_id

from . import selectors
from .services import similarity_run_create


@require_GET
def report(request, slug: str, assignment_slug: str):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    run = selectors.similarity_run_latest(assignment=assignment)
    return render(
        request,
        "similarity/report.html",
        {
            "course": assignment.course,
            "assignment": assignment,
            "membership": membership,
            "run": run,
            "pairs": selectors.run_pairs(run=run) if run else [],
        },
    )


@require_POST
def run(request, slug: str, assignment_slug: str):
    assignment, _ = access_assignment_as_staff(request.user, slug, assignment_slug)
    result = similarity_run_create(assignment=assignment, by=request.user)
    messages.success(
        request, f"Compared {result.submissions_compared} submissions in {result.seconds:.1f} s."
    )
    return redirect("similarity:report", assignment.course.slug, assignment.slug)


@require_GET
def pair(request, slug: str, assignment_slug: str, a_id: int, b_id: int):
    assignment, membership = access_assignment_as_staff(request.user, slug, assignment_slug)
    a, _ = access_submission_by_id(request.user, a_id, assignment=assignment)
    b, _ = access_submission_by_id(request.user, b_id, assignment=assignment)
    a_files, b_files, regions = selectors.side_by_side(assignment=assignment, a=a, b=b)
    return render(
        request,
        "similarity/pair.html",
        {
            "course": assignment.course,
            "assignment": assignment,
            "membership": membership,
            "a": a,
            "b": b,
            "sides": [("a", a, a_files), ("b", b, b_files)],
            "regions": regions,
        },
    )
