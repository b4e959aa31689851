"""Pages of the submissions app: Django templates with htmx partials.

Views only check access (access.py), validate a form and call a service; the services say
what is allowed. Every page renders in the course's time zone.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hub.courses.access import access_course, access_course_as_instructor
from hub.courses.models import Membership

from . import access, selectors, services
from .api import file_response
from .bundles import uploads_from_files
from .deadlines import deadline_effective_for
from .models import Accommodation, Lateness, SubmissionFile

TEXT_PREVIEW_BYTES = 200_000


def _render(request, template: str, context: dict, *, status: int = 200):
    course = context["course"]
    with timezone.override(course.zone):
        return render(request, template, context, status=status)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _students(course):
    return (
        Membership.objects.filter(course=course, role=Membership.Role.STUDENT)
        .select_related("user")
        .order_by("user__username")
    )


class StudentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, m):
        return f"{m.user.get_full_name() or m.user.username} ({m.user.username})"


def _student_field(course):
    return StudentChoiceField(queryset=_students(course), label="Student")


class ExtensionForm(forms.Form):
    due_at = forms.DateTimeField(
        label="New deadline", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class CorrectionForm(forms.Form):
    until = forms.DateTimeField(
        label="Correct until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label="What to correct", widget=forms.Textarea(attrs={"rows": 2}))


class EmailedForm(forms.Form):
    emailed_at = forms.DateTimeField(
        label="Email arrived at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
    )
    staff_note = forms.CharField(
        label="Why (e.g. site unreachable)", widget=forms.Textarea(attrs={"rows": 2})
    )
    sources_statement = forms.CharField(
        label="Sources statement from the email", widget=forms.Textarea(attrs={"rows": 2})
    )


class AccommodationForm(forms.Form):
    effective_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    extra_percent = forms.IntegerField(required=False, min_value=1, label="Extra % of open time")
    extra_hours = forms.DecimalField(
        required=False, min_value=0, max_digits=6, decimal_places=2, label="or extra hours"
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RegradeDecideForm(forms.Form):
    rubric_points = forms.DecimalField(
        max_digits=8, decimal_places=3, label="Manual points after regrading"
    )
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


def _with_student(form_class, course, data=None):
    form = form_class(data)
    form.fields = {"student": _student_field(course), **form.fields}
    return form


# --- the student's pages -----------------------------------------------------------------------


def _assignment_context(request, assignment, membership) -> dict:
    student = request.user
    now = timezone.now()
    deadline = deadline_effective_for(student=student, assignment=assignment)
    grade = selectors.grade_visible_to(student=student, assignment=assignment)
    return {
        "course": assignment.course,
        "membership": membership,
        "assignment": assignment,
        "deadline": deadline,
        "status_now": deadline.status_at(now),
        "status_now_label": Lateness(deadline.status_at(now)).label,
        "now": now,
        "submissions": list(selectors.submissions_for(student=student, assignment=assignment)),
        "grade": grade,
        "regrade_until": selectors.regrade_window_closes(grade=grade) if grade else None,
        "regrades": list(selectors.regrade_requests_for(student=student, assignment=assignment)),
        "regrade_warning": services.REGRADE_WARNING,
        "accept": ",".join(sorted({".py", ".ipynb", ".pdf", ".zip", ".tar.gz", ".tgz"})),
    }


@login_required
def assignment_page(request, slug: str, assignment_slug: str):
    assignment, membership = access.access_assignment(request.user, slug, assignment_slug)
    if membership.is_staff:
        return redirect("submissions:staff", slug, assignment_slug)
    return _render(
        request, "submissions/assignment.html", _assignment_context(request, assignment, membership)
    )


@login_required
def submission_list_fragment(request, slug: str, assignment_slug: str):
    assignment, membership = access.access_assignment_as_student(
        request.user, slug, assignment_slug
    )
    return _render(
        request,
        "submissions/_submission_list.html",
        _assignment_context(request, assignment, membership),
    )


@login_required
@require_POST
def submission_create(request, slug: str, assignment_slug: str):
    assignment, membership = access.access_assignment_as_student(
        request.user, slug, assignment_slug
    )
    try:
        submission = services.submission_create(
            assignment=assignment,
            student=request.user,
            uploads=uploads_from_files(
                request.FILES.getlist("files"), max_upload_bytes=assignment.max_upload_bytes
            ),
            sources_statement=request.POST.get("sources_statement", ""),
        )
    except ValidationError as exc:
        if _is_htmx(request):
            # htmx swaps only 2xx answers: the error fragment comes back as 200.
            return _render(
                request,
                "submissions/_upload_error.html",
                {"course": assignment.course, "error": _message(exc)},
            )
        context = _assignment_context(request, assignment, membership) | {
            "upload_error": _message(exc)
        }
        return _render(request, "submissions/assignment.html", context, status=400)
    if _is_htmx(request):
        response = _render(
            request,
            "submissions/_receipt.html",
            {
                "course": assignment.course,
                "assignment": assignment,
                "submission": submission,
                "manifest": selectors.submission_manifest(submission=submission),
                "fresh": True,
            },
        )
        response["HX-Trigger"] = "submission-created"
        return response
    return redirect("submissions:receipt", slug, assignment_slug, submission.pk)


@login_required
def receipt(request, slug: str, assignment_slug: str, submission_id: int):
    assignment, _ = access.access_assignment(request.user, slug, assignment_slug)
    submission, membership = access.access_submission_by_id(
        request.user, submission_id, assignment=assignment
    )
    previews = []
    if membership.is_staff:
        # Staff read the sources statement beside the code.
        for f in submission.files.filter(kind=SubmissionFile.Kind.FILE):
            text = None
            if f.name.endswith((".py", ".ipynb")) and f.size <= TEXT_PREVIEW_BYTES:
                with access_blob(f) as handle:
                    text = handle.read().decode("utf-8", errors="replace")
            previews.append((f, text))
    return _render(
        request,
        "submissions/receipt.html",
        {
            "course": assignment.course,
            "assignment": assignment,
            "submission": submission,
            "membership": membership,
            "manifest": selectors.submission_manifest(submission=submission),
            "previews": previews,
            "files": list(submission.files.all()),
        },
    )


def access_blob(f: SubmissionFile):
    from .store import blob_open

    return blob_open(f.sha256)


@login_required
def file_download(request, slug: str, assignment_slug: str, submission_id: int, file_id: int):
    assignment, _ = access.access_assignment(request.user, slug, assignment_slug)
    return file_response(
        access.access_submission_file(request.user, submission_id, file_id, assignment=assignment)
    )


@login_required
@require_POST
def submission_activate(request, slug: str, assignment_slug: str, submission_id: int):
    assignment, _ = access.access_assignment(request.user, slug, assignment_slug)
    submission, _ = access.access_submission_by_id(
        request.user, submission_id, assignment=assignment
    )
    try:
        services.submission_activate(submission=submission, by=request.user)
        messages.success(request, f"Submission {submission.pk} is now the one that counts.")
    except ValidationError as exc:
        messages.error(request, _message(exc))
    return redirect("submissions:assignment", slug, assignment_slug)


@login_required
@require_POST
def regrade_request(request, slug: str, assignment_slug: str):
    assignment, _ = access.access_assignment_as_student(request.user, slug, assignment_slug)
    try:
        services.regrade_request_create(
            student=request.user,
            assignment=assignment,
            reason=request.POST.get("reason", ""),
            acknowledged_may_lower=request.POST.get("acknowledged_may_lower") == "on",
        )
        messages.success(request, "Regrade requested: the whole assignment will be graded again.")
    except ValidationError as exc:
        messages.error(request, _message(exc))
    return redirect("submissions:assignment", slug, assignment_slug)


@login_required
def my_submissions(request, slug: str):
    course, membership = access_course(request.user, slug)
    return _render(
        request,
        "submissions/mine.html",
        {
            "course": course,
            "membership": membership,
            "submissions": selectors.submissions_of_student(student=request.user, course=course),
        },
    )


# --- the staff's pages -------------------------------------------------------------------------


def _staff_context(request, assignment, membership, **forms_) -> dict:
    course = assignment.course
    active = {
        s.student_id: s for s in selectors.submissions_active_for_assignment(assignment=assignment)
    }
    rows = [
        (d, active.get(d.student.pk))
        for d in selectors.deadlines_of_students(assignment=assignment)
    ]
    return {
        "course": course,
        "membership": membership,
        "assignment": assignment,
        "late_hours": f"{assignment.effective_late_window.total_seconds() / 3600:g}",
        "rows": rows,
        "regrades": list(selectors.regrades_open(assignment=assignment)),
        "extension_form": forms_.get("extension_form") or _with_student(ExtensionForm, course),
        "correction_form": forms_.get("correction_form") or _with_student(CorrectionForm, course),
        "emailed_form": forms_.get("emailed_form") or _with_student(EmailedForm, course),
        "decide_form": RegradeDecideForm(),
    }


@login_required
def staff_page(request, slug: str, assignment_slug: str):
    assignment, membership = access.access_assignment_as_staff(request.user, slug, assignment_slug)
    return _render(
        request, "submissions/staff.html", _staff_context(request, assignment, membership)
    )


def _staff_post(request, slug, assignment_slug, *, form_class, form_key, action, instructor=False):
    if instructor:
        assignment, membership = access.access_assignment_as_instructor(
            request.user, slug, assignment_slug
        )
    else:
        assignment, membership = access.access_assignment_as_staff(
            request.user, slug, assignment_slug
        )
    form = _with_student(form_class, assignment.course, request.POST)
    if form.is_valid():
        try:
            with timezone.override(assignment.course.zone):
                note = action(assignment, form.cleaned_data)
            messages.success(request, note)
            return redirect("submissions:staff", slug, assignment_slug)
        except ValidationError as exc:
            form.add_error(None, _message(exc))
    context = _staff_context(request, assignment, membership, **{form_key: form})
    return _render(request, "submissions/staff.html", context, status=400)


@login_required
@require_POST
def extension_grant(request, slug: str, assignment_slug: str):
    def act(assignment, data):
        services.extension_grant(
            assignment=assignment,
            student=data["student"].user,
            due_at=data["due_at"],
            reason=data["reason"],
            by=request.user,
        )
        return f"Extension granted to {data['student'].user.username}; they were emailed."

    # Datetime inputs are read in the current zone, so the form is validated in the course's.
    with timezone.override(_zone_of(slug)):
        return _staff_post(
            request,
            slug,
            assignment_slug,
            form_class=ExtensionForm,
            form_key="extension_form",
            action=act,
            instructor=True,
        )


@login_required
@require_POST
def correction_grant(request, slug: str, assignment_slug: str):
    def act(assignment, data):
        services.correction_window_grant(
            assignment=assignment,
            student=data["student"].user,
            until=data["until"],
            reason=data["reason"],
            by=request.user,
        )
        return f"Correction window granted to {data['student'].user.username}; they were emailed."

    with timezone.override(_zone_of(slug)):
        return _staff_post(
            request,
            slug,
            assignment_slug,
            form_class=CorrectionForm,
            form_key="correction_form",
            action=act,
        )


@login_required
@require_POST
def emailed_create(request, slug: str, assignment_slug: str):
    def act(assignment, data):
        submission = services.submission_create(
            assignment=assignment,
            student=data["student"].user,
            uploads=uploads_from_files(
                request.FILES.getlist("files"), max_upload_bytes=assignment.max_upload_bytes
            ),
            sources_statement=data["sources_statement"],
            by=request.user,
            emailed_at=data["emailed_at"],
            staff_note=data["staff_note"],
        )
        return f"Emailed work recorded as submission {submission.pk} ({submission.get_lateness_display()})."

    with timezone.override(_zone_of(slug)):
        return _staff_post(
            request,
            slug,
            assignment_slug,
            form_class=EmailedForm,
            form_key="emailed_form",
            action=act,
        )


def _zone_of(slug: str):
    from hub.courses.models import Course

    course = Course.objects.filter(slug=slug).only("time_zone").first()
    return course.zone if course else timezone.get_current_timezone()


@login_required
@require_POST
def regrade_decide(request, slug: str, assignment_slug: str, regrade_id: int):
    assignment, _ = access.access_assignment_as_staff(request.user, slug, assignment_slug)
    regrade = access.access_regrade_as_staff(request.user, regrade_id, assignment=assignment)
    form = RegradeDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the manual points and the decision.")
        return redirect("submissions:staff", slug, assignment_slug)
    try:
        services.regrade_decide(
            regrade=regrade,
            by=request.user,
            rubric_points=form.cleaned_data["rubric_points"],
            decision=form.cleaned_data["decision"],
        )
        messages.success(request, "Regrade decided; the student was emailed.")
    except ValidationError as exc:
        messages.error(request, _message(exc))
    return redirect("submissions:staff", slug, assignment_slug)


@login_required
def accommodations(request, slug: str):
    course, membership = access_course_as_instructor(request.user, slug)
    form = _with_student(
        AccommodationForm, course, request.POST if request.method == "POST" else None
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.accommodation_register(
                    course=course,
                    student=d["student"].user,
                    effective_on=d["effective_on"],
                    extra_percent=d["extra_percent"],
                    extra_hours=d["extra_hours"],
                    note=d["note"],
                    by=request.user,
                )
                messages.success(request, "Accommodation registered.")
                return redirect("submissions:accommodations", slug)
            except ValidationError as exc:
                form.add_error(None, _message(exc))
        status = 400
    return _render(
        request,
        "submissions/accommodations.html",
        {
            "course": course,
            "membership": membership,
            "form": form,
            "accommodations": Accommodation.objects.filter(course=course).select_related(
                "student", "registered_by"
            ),
        },
        status=status,
    )
