from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hub.courses.access import access_course_as_staff
from hub.courses.models import Assignment

from .jobs import job_queue_place
from .models import GradingJob, Report
from .selectors import (
    access_submission_in_course,
    latest_job,
    latest_report,
    report_before,
    report_changes,
    report_view_for,
)
from .services import grading_job_rerun


def _status_context(submission, membership):
    job = latest_job(submission=submission)
    report = latest_report(submission=submission)
    previous = report_before(report=report) if report else None
    return {
        "previous": previous,
        "changes": report_changes(
            old=report_view_for(report=previous, membership=membership),
            new=report_view_for(report=report, membership=membership),
        ) if previous else [],
        "submission": submission,
        "job": job,
        "place": job_queue_place(job=job) if job else None,
        "elapsed": (timezone.now() - job.started_at) if job and job.started_at and job.is_pending else None,
        "report": report,
        "results": report_view_for(report=report, membership=membership) if report else None,
        "membership": membership,
        "course": submission.assignment.course,
    }


@login_required
def report_page(request, slug: str, submission_id: int):
    course, membership, submission = access_submission_in_course(request.user, slug, submission_id)
    return render(request, "grading/report.html", _status_context(submission, membership))


@login_required
def status_fragment(request, slug: str, submission_id: int):
    """The live part of the report page; htmx polls it while the job is pending."""
    course, membership, submission = access_submission_in_course(request.user, slug, submission_id)
    return render(request, "grading/_grading_status.html", _status_context(submission, membership))


@login_required
def artifact(request, slug: str, submission_id: int, report_id: int, name: str):
    course, membership, submission = access_submission_in_course(request.user, slug, submission_id)
    report = get_object_or_404(Report, pk=report_id, submission=submission)
    shown = report_view_for(report=report, membership=membership)
    listed = {a.get("name"): a for a in shown.get("artifacts", []) if isinstance(a, dict)}
    if name not in listed or not report.artifacts_dir:
        raise Http404("No such artifact")
    # The file is looked up by the name the trusted report lists, never by a path from the URL.
    root = Path(report.artifacts_dir).resolve()
    path = (root / listed[name].get("path", name)).resolve()
    if root not in path.parents or not path.is_file() or path.is_symlink():
        raise Http404("No such artifact")
    return FileResponse(open(path, "rb"), content_type="image/png")


@login_required
def reports_list(request, slug: str, assignment_slug: str):
    course, membership = access_course_as_staff(request.user, slug)
    assignment = get_object_or_404(Assignment, course=course, slug=assignment_slug)
    jobs = (
        GradingJob.objects.filter(assignment=assignment)
        .exclude(status=GradingJob.Status.SUPERSEDED)
        .select_related("student", "submission", "report")
        .order_by("student__username", "-queued_at")
    )
    status = request.GET.get("status", "")
    if status:
        jobs = jobs.filter(status=status)
    if request.GET.get("late") == "1":
        jobs = jobs.exclude(submission__lateness="on_time")
    if request.GET.get("infra") == "1":
        jobs = jobs.filter(Q(status=GradingJob.Status.FAILED_INFRASTRUCTURE) | Q(report__gradable=False))
    failing = request.GET.get("failing", "")
    rows = []
    for job in jobs:
        report = getattr(job, "report", None)
        failed = [t["name"] for t in (report.results.get("tests", []) if report else []) if t.get("status") == "failed"]
        if failing and failing not in failed:
            continue
        rows.append({"job": job, "report": report, "failed": failed})
    sort = request.GET.get("sort", "student")
    if sort == "score":
        rows.sort(key=lambda r: (r["report"].score if r["report"] else -1))
    elif sort == "time":
        rows.sort(key=lambda r: r["job"].queued_at, reverse=True)
    check_names = sorted({n for r in rows for n in r["failed"]})
    return render(request, "grading/reports_list.html", {
        "course": course, "membership": membership, "assignment": assignment, "rows": rows,
        "statuses": GradingJob.Status.choices, "check_names": check_names, "filters": request.GET,
    })


@login_required
@require_POST
def rerun(request, slug: str, submission_id: int):
    course, membership, submission = access_submission_in_course(request.user, slug, submission_id)
    if not membership.is_staff:
        raise PermissionDenied("Only the course's staff rerun grading")
    grading_job_rerun(submission=submission, requested_by=request.user)
    messages.success(request, f"Grading of submission {submission.pk} queued again.")
    return redirect("grading:report", slug, submission.pk)


@login_required
@require_POST
def rerun_all(request, slug: str, assignment_slug: str):
    course, membership = access_course_as_staff(request.user, slug)
    assignment = get_object_or_404(Assignment, course=course, slug=assignment_slug)
    count = 0
    for submission in assignment.submissions.filter(is_active=True).select_related("assignment", "student"):
        grading_job_rerun(submission=submission, requested_by=request.user)
        count += 1
    messages.success(request, f"{count} active submissions queued for grading again.")
    return redirect("grading:reports", slug, assignment.slug)


@login_required
def leaderboard(request, slug: str, assignment_slug: str):
    from hub.courses.access import access_course

    from .leaderboard import (
        AliasTaken,
        leaderboard_alias_set,
        leaderboard_entries,
        leaderboard_hidden,
        leaderboard_set_hidden,
        leaderboard_spec,
    )
    from .models import LeaderboardAlias

    course, membership = access_course(request.user, slug)
    assignment = get_object_or_404(Assignment, course=course, slug=assignment_slug)
    spec = leaderboard_spec(assignment=assignment)
    if spec is None:
        raise Http404("This assignment has no leaderboard")
    if request.method == "POST":
        if "hidden" in request.POST:
            if not membership.is_instructor:
                raise Http404("No such page")
            leaderboard_set_hidden(assignment=assignment, hidden=request.POST["hidden"] == "1")
        else:
            try:
                leaderboard_alias_set(course=course, user=request.user, alias=request.POST.get("alias", ""))
                messages.success(request, "Your pseudonym is saved.")
            except (AliasTaken, ValueError) as exc:
                messages.error(request, str(exc))
        return redirect("grading:leaderboard", slug, assignment.slug)
    hidden = leaderboard_hidden(assignment=assignment)
    shown = not hidden or membership.is_staff
    return render(request, "grading/leaderboard.html", {
        "course": course, "membership": membership, "assignment": assignment, "spec": spec,
        "hidden": hidden, "entries": leaderboard_entries(assignment=assignment, viewer=request.user) if shown else [],
        "alias": LeaderboardAlias.objects.filter(course=course, user=request.user).first(),
    })


@login_required
def starter_download(request, slug: str, assignment_slug: str):
    """The starter code as a zip: the stubs, the students' README, and the files the grader
    also puts beside the student's code (common.py, shipped weights)."""
    import io
    import zipfile

    from django.conf import settings
    from django.http import HttpResponse

    from grader.spec import load_spec
    from hub.courses.access import access_course

    course, _ = access_course(request.user, slug)
    assignment = get_object_or_404(Assignment, course=course, slug=assignment_slug)
    if not assignment.autograder:
        raise Http404("This assignment has no starter code")
    folder = Path(settings.ASSIGNMENTS_DIR) / assignment.autograder
    starter = folder / "starter"
    if not starter.is_dir():
        raise Http404("This assignment has no starter code")
    spec = load_spec(folder)
    extras = [folder / "README.md", folder / "common.py", *(folder / n for n in spec.sandbox_files)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(starter.rglob("*")):
            if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
                archive.write(path, f"{assignment.slug}/{path.relative_to(starter)}")
        for path in extras:
            if path.is_file():
                archive.write(path, f"{assignment.slug}/{path.name}")
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{assignment.slug}-starter.zip"'
    return response
