from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .jobs import job_queue_place
from .selectors import access_submission_in_course, latest_job, latest_report, report_view_for


class GradingStatusApi(APIView):
    """The grading state of a submission and, once graded, its report as the caller may see it."""

    class OutputSerializer(serializers.Serializer):
        submission = serializers.IntegerField()
        status = serializers.CharField(allow_null=True)
        attempts = serializers.IntegerField()
        queue_position = serializers.IntegerField(allow_null=True)
        estimated_wait_seconds = serializers.FloatField(allow_null=True)
        queued_at = serializers.DateTimeField(allow_null=True)
        started_at = serializers.DateTimeField(allow_null=True)
        finished_at = serializers.DateTimeField(allow_null=True)
        report = serializers.JSONField(allow_null=True)

    @extend_schema(responses=OutputSerializer, operation_id="submission_grading_status")
    def get(self, request, slug: str, submission_id: int):
        _, membership, submission = access_submission_in_course(request.user, slug, submission_id)
        job = latest_job(submission=submission)
        report = latest_report(submission=submission)
        place = job_queue_place(job=job) if job else None
        data = {
            "submission": submission.pk,
            "status": job.status if job else None,
            "attempts": job.attempts if job else 0,
            "queue_position": place.position if place else None,
            "estimated_wait_seconds": place.estimated_wait.total_seconds() if place else None,
            "queued_at": job.queued_at if job else None,
            "started_at": job.started_at if job else None,
            "finished_at": job.finished_at if job else None,
            "report": report_view_for(report=report, membership=membership) if report else None,
        }
        return Response(self.OutputSerializer(data).data)
