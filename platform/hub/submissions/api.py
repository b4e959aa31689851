"""REST API of the submissions app: one view per operation, each validating, calling a service
and serializing. Access goes through `access.py`; a service's ValidationError becomes a 400
whose `detail` is the message meant for the student and whose `code` is stable.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.courses.access import access_course_as_instructor
from hub.courses.models import Membership

from . import access, selectors, services
from .bundles import uploads_from_files
from .deadlines import EffectiveDeadline, deadline_effective_for

User = get_user_model()


def _error_response(exc: DjangoValidationError) -> Response:
    code = getattr(exc, "code", None) or "invalid"
    return Response(
        {"detail": " ".join(exc.messages), "code": code}, status=status.HTTP_400_BAD_REQUEST
    )


class ServiceApi(APIView):
    """Turns a service's ValidationError into a 400 with the service's own message."""

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            return _error_response(exc)
        return super().handle_exception(exc)


def _local(when, course) -> str | None:
    if when is None:
        return None
    return when.astimezone(course.zone).strftime("%a %d %b %Y, %I:%M:%S %p %Z")


def _student_of(course, username: str):
    membership = (
        Membership.objects.select_related("user")
        .filter(course=course, user__username=username, role=Membership.Role.STUDENT)
        .first()
    )
    if membership is None:
        raise DjangoValidationError(
            f"{username} is not a student of {course.code}.", code="not_a_student"
        )
    return membership.user


class FileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    archive = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, f) -> str:
        s = f.submission
        return reverse(
            "api-submission-file",
            kwargs={
                "slug": s.assignment.course.slug,
                "assignment_slug": s.assignment.slug,
                "submission_id": s.pk,
                "file_id": f.pk,
            },
        )


class SubmissionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    assignment = serializers.CharField(source="assignment.slug")
    student = serializers.CharField(source="student.username")
    received_at = serializers.DateTimeField(source="created_at")
    received_at_local = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField()
    time_zone = serializers.CharField(source="assignment.course.time_zone")
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    is_active = serializers.BooleanField()
    lateness = serializers.CharField()
    late_penalty = serializers.DecimalField(max_digits=4, decimal_places=3)
    is_correction = serializers.BooleanField()
    sources_statement = serializers.CharField()
    submitted_by = serializers.CharField(source="submitted_by.username")
    emailed_at = serializers.DateTimeField(allow_null=True)
    emailed_at_local = serializers.SerializerMethodField()
    staff_note = serializers.CharField()
    manifest = serializers.SerializerMethodField()
    files = FileOutput(many=True)

    def get_received_at_local(self, s) -> str:
        return _local(s.created_at, s.assignment.course)

    def get_emailed_at_local(self, s) -> str | None:
        return _local(s.emailed_at, s.assignment.course)

    def get_manifest(self, s) -> str:
        return selectors.submission_manifest(submission=s)


class DeadlineOutput(serializers.Serializer):
    assignment_due_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    late_until = serializers.DateTimeField(allow_null=True)
    late_penalty = serializers.DecimalField(max_digits=4, decimal_places=3)
    correction_until = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    accepted_until = serializers.DateTimeField()
    reasons = serializers.ListField(child=serializers.CharField())


class SubmissionListApi(ServiceApi):
    @extend_schema(responses=SubmissionOutput(many=True), operation_id="submissions_list")
    def get(self, request, slug: str, assignment_slug: str):
        assignment, membership = access.access_assignment(request.user, slug, assignment_slug)
        if membership.is_staff:
            qs = selectors.submissions_active_for_assignment(assignment=assignment)
        else:
            qs = selectors.submissions_for(student=request.user, assignment=assignment)
        return Response(SubmissionOutput(qs, many=True).data)


class SubmissionCreateApi(ServiceApi):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SubmissionCreateInput"

        files = serializers.ListField(
            child=serializers.FileField(allow_empty_file=True), allow_empty=True, required=False
        )
        sources_statement = serializers.CharField(allow_blank=True, required=False, default="")

    @extend_schema(
        request=InputSerializer,
        responses={201: SubmissionOutput},
        operation_id="submissions_create",
    )
    def post(self, request, slug: str, assignment_slug: str):
        assignment, _ = access.access_assignment_as_student(request.user, slug, assignment_slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        files = request.FILES.getlist("files")
        submission = services.submission_create(
            assignment=assignment,
            student=request.user,
            uploads=uploads_from_files(files, max_upload_bytes=assignment.max_upload_bytes),
            sources_statement=data.validated_data["sources_statement"],
        )
        return Response(SubmissionOutput(submission).data, status=status.HTTP_201_CREATED)


class SubmissionEmailedCreateApi(ServiceApi):
    """Staff enter work a student emailed while the site was unreachable."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SubmissionEmailedCreateInput"

        student = serializers.CharField()
        emailed_at = serializers.DateTimeField()
        staff_note = serializers.CharField()
        sources_statement = serializers.CharField()
        files = serializers.ListField(
            child=serializers.FileField(allow_empty_file=True), allow_empty=True, required=False
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: SubmissionOutput},
        operation_id="submissions_create_emailed",
    )
    def post(self, request, slug: str, assignment_slug: str):
        assignment, _ = access.access_assignment_as_staff(request.user, slug, assignment_slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        submission = services.submission_create(
            assignment=assignment,
            student=_student_of(assignment.course, v["student"]),
            uploads=uploads_from_files(
                request.FILES.getlist("files"), max_upload_bytes=assignment.max_upload_bytes
            ),
            sources_statement=v["sources_statement"],
            by=request.user,
            emailed_at=v["emailed_at"],
            staff_note=v["staff_note"],
        )
        return Response(SubmissionOutput(submission).data, status=status.HTTP_201_CREATED)


class SubmissionDetailApi(ServiceApi):
    @extend_schema(responses=SubmissionOutput, operation_id="submissions_retrieve")
    def get(self, request, slug: str, assignment_slug: str, submission_id: int):
        assignment, _ = access.access_assignment(request.user, slug, assignment_slug)
        submission, _ = access.access_submission_by_id(
            request.user, submission_id, assignment=assignment
        )
        return Response(SubmissionOutput(submission).data)


class SubmissionActivateApi(ServiceApi):
    @extend_schema(request=None, responses=SubmissionOutput, operation_id="submissions_activate")
    def post(self, request, slug: str, assignment_slug: str, submission_id: int):
        assignment, _ = access.access_assignment(request.user, slug, assignment_slug)
        submission, _ = access.access_submission_by_id(
            request.user, submission_id, assignment=assignment
        )
        submission = services.submission_activate(submission=submission, by=request.user)
        return Response(SubmissionOutput(submission).data)


class SubmissionFileDownloadApi(ServiceApi):
    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        operation_id="submissions_file",
    )
    def get(self, request, slug: str, assignment_slug: str, submission_id: int, file_id: int):
        assignment, _ = access.access_assignment(request.user, slug, assignment_slug)
        f = access.access_submission_file(
            request.user, submission_id, file_id, assignment=assignment
        )
        return file_response(f)


def file_response(f) -> FileResponse:
    from .store import blob_open

    try:
        handle = blob_open(f.sha256)
    except FileNotFoundError:
        raise Http404("The stored file is missing") from None
    download_name = f.name.rsplit("/", 1)[-1]
    return FileResponse(
        handle, as_attachment=True, filename=download_name, content_type="application/octet-stream"
    )


class DeadlineApi(ServiceApi):
    @extend_schema(
        parameters=[OpenApiParameter("student", str, description="staff only: whose deadline")],
        responses=DeadlineOutput,
        operation_id="submissions_deadline",
    )
    def get(self, request, slug: str, assignment_slug: str):
        assignment, membership = access.access_assignment(request.user, slug, assignment_slug)
        student = request.user
        if membership.is_staff:
            username = request.query_params.get("student")
            student = _student_of(assignment.course, username) if username else None
        deadline: EffectiveDeadline = deadline_effective_for(student=student, assignment=assignment)
        return Response(DeadlineOutput(deadline).data)


class ExtensionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student = serializers.CharField(source="student.username")
    due_at = serializers.DateTimeField()
    reason = serializers.CharField()
    granted_by = serializers.CharField(source="granted_by.username")
    granted_at = serializers.DateTimeField()


class ExtensionGrantApi(ServiceApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ExtensionGrantInput"

        student = serializers.CharField()
        due_at = serializers.DateTimeField()
        reason = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: ExtensionOutput},
        operation_id="submissions_extension_grant",
    )
    def post(self, request, slug: str, assignment_slug: str):
        assignment, _ = access.access_assignment_as_instructor(request.user, slug, assignment_slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        extension = services.extension_grant(
            assignment=assignment,
            student=_student_of(assignment.course, v["student"]),
            due_at=v["due_at"],
            reason=v["reason"],
            by=request.user,
        )
        return Response(ExtensionOutput(extension).data, status=status.HTTP_201_CREATED)


class CorrectionWindowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student = serializers.CharField(source="student.username")
    until = serializers.DateTimeField()
    reason = serializers.CharField()
    granted_by = serializers.CharField(source="granted_by.username")


class CorrectionWindowGrantApi(ServiceApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CorrectionWindowGrantInput"

        student = serializers.CharField()
        until = serializers.DateTimeField()
        reason = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: CorrectionWindowOutput},
        operation_id="submissions_correction_grant",
    )
    def post(self, request, slug: str, assignment_slug: str):
        assignment, _ = access.access_assignment_as_staff(request.user, slug, assignment_slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        window = services.correction_window_grant(
            assignment=assignment,
            student=_student_of(assignment.course, v["student"]),
            until=v["until"],
            reason=v["reason"],
            by=request.user,
        )
        return Response(CorrectionWindowOutput(window).data, status=status.HTTP_201_CREATED)


class AccommodationRegisterApi(ServiceApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccommodationRegisterInput"

        student = serializers.CharField()
        effective_on = serializers.DateField()
        extra_percent = serializers.IntegerField(required=False, allow_null=True, min_value=1)
        extra_hours = serializers.DecimalField(
            max_digits=6, decimal_places=2, required=False, allow_null=True
        )
        note = serializers.CharField(required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccommodationRegisterOutput"

        id = serializers.IntegerField()
        student = serializers.CharField(source="student.username")
        effective_on = serializers.DateField()
        extra_percent = serializers.IntegerField(allow_null=True)
        extra_hours = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
        note = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        operation_id="submissions_accommodation_register",
    )
    def post(self, request, slug: str):
        course, _ = access_course_as_instructor(request.user, slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        accommodation = services.accommodation_register(
            course=course,
            student=_student_of(course, v["student"]),
            effective_on=v["effective_on"],
            extra_percent=v.get("extra_percent"),
            extra_hours=v.get("extra_hours"),
            note=v["note"],
            by=request.user,
        )
        return Response(self.OutputSerializer(accommodation).data, status=status.HTTP_201_CREATED)


class GradeOutput(serializers.Serializer):
    student = serializers.CharField(source="student.username")
    assignment = serializers.CharField(source="assignment.slug")
    submission = serializers.IntegerField(source="submission_id", allow_null=True)
    autograde_points = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    autograde_max = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    rubric_points = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    late_penalty = serializers.DecimalField(max_digits=4, decimal_places=3)
    total = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    regrade_until = serializers.SerializerMethodField()

    def get_regrade_until(self, g) -> str | None:
        closes = selectors.regrade_window_closes(grade=g)
        return closes.isoformat() if closes else None


class GradeApi(ServiceApi):
    @extend_schema(responses=GradeOutput, operation_id="submissions_grade")
    def get(self, request, slug: str, assignment_slug: str):
        assignment, _ = access.access_assignment(request.user, slug, assignment_slug)
        grade = selectors.grade_visible_to(student=request.user, assignment=assignment)
        if grade is None:
            raise Http404("No released grade")
        return Response(GradeOutput(grade).data)


class GradeReleaseApi(ServiceApi):
    @extend_schema(
        request=None,
        responses=inline_serializer("GradeReleaseOutput", {"released": serializers.IntegerField()}),
        operation_id="submissions_grades_release",
    )
    def post(self, request, slug: str, assignment_slug: str):
        assignment, _ = access.access_assignment_as_instructor(request.user, slug, assignment_slug)
        return Response(
            {"released": services.grade_release(assignment=assignment, by=request.user)}
        )


class RegradeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student = serializers.CharField(source="grade.student.username")
    reason = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    total_before = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    total_after = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    decision = serializers.CharField()


class RegradeRequestCreateApi(ServiceApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegradeRequestCreateInput"

        reason = serializers.CharField(allow_blank=True)
        acknowledged_may_lower = serializers.BooleanField(
            default=False, help_text=services.REGRADE_WARNING + " Must be true."
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: RegradeOutput},
        operation_id="submissions_regrade_request",
        description=services.REGRADE_WARNING,
    )
    def post(self, request, slug: str, assignment_slug: str):
        assignment, _ = access.access_assignment_as_student(request.user, slug, assignment_slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        regrade = services.regrade_request_create(
            student=request.user,
            assignment=assignment,
            reason=data.validated_data["reason"],
            acknowledged_may_lower=data.validated_data["acknowledged_may_lower"],
        )
        return Response(RegradeOutput(regrade).data, status=status.HTTP_201_CREATED)


class RegradeDecideApi(ServiceApi):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegradeDecideInput"

        rubric_points = serializers.DecimalField(max_digits=8, decimal_places=3)
        decision = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses=RegradeOutput, operation_id="submissions_regrade_decide"
    )
    def post(self, request, slug: str, assignment_slug: str, regrade_id: int):
        assignment, _ = access.access_assignment_as_staff(request.user, slug, assignment_slug)
        regrade = access.access_regrade_as_staff(request.user, regrade_id, assignment=assignment)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        regrade = services.regrade_decide(
            regrade=regrade,
            by=request.user,
            rubric_points=data.validated_data["rubric_points"],
            decision=data.validated_data["decision"],
        )
        return Response(RegradeOutput(regrade).data)
