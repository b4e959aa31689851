"""API of the gradebook: one read per view, serializers that drf-spectacular documents.

Serializer names are unique across the project: drf-spectacular names schema components after
them, and two `OutputSerializer`s would collide.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.courses.access import access_course_as_instructor, access_course_as_staff

from . import selectors


class GradebookComponentOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)


class GradebookAssignmentOutput(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    max_points = serializers.DecimalField(max_digits=7, decimal_places=2)
    component = serializers.CharField(source="component.key", allow_null=True, default=None)


class GradebookCellOutput(serializers.Serializer):
    assignment = serializers.SlugField(source="assignment.slug")
    status = serializers.ChoiceField(choices=["graded", "awaiting", "missing", "upcoming"])
    points = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    released = serializers.BooleanField()
    late = serializers.BooleanField()


class GradebookComponentScoreOutput(serializers.Serializer):
    component = serializers.CharField(source="component.key")
    percent = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class GradebookRowOutput(serializers.Serializer):
    username = serializers.CharField(source="student.username")
    name = serializers.CharField(source="student.get_full_name")
    cells = GradebookCellOutput(many=True)
    components = GradebookComponentScoreOutput(many=True)
    total = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    missing = serializers.IntegerField()
    letter = serializers.CharField(allow_blank=True)


class GradebookOutput(serializers.Serializer):
    course = serializers.SlugField(source="course.slug")
    components = GradebookComponentOutput(many=True)
    assignments = GradebookAssignmentOutput(many=True)
    rows = GradebookRowOutput(many=True)


class LetterCutOutput(serializers.Serializer):
    k = serializers.IntegerField()
    method = serializers.CharField()
    thresholds = serializers.ListField(
        child=serializers.DecimalField(max_digits=8, decimal_places=3)
    )
    letters = serializers.ListField(child=serializers.CharField())
    tie_tolerance = serializers.DecimalField(max_digits=5, decimal_places=2)
    locked_at = serializers.DateTimeField(allow_null=True)
    locked_by = serializers.CharField(source="locked_by.username", allow_null=True, default=None)


class GradebookApi(APIView):
    @extend_schema(responses=GradebookOutput, operation_id="gradebook_retrieve")
    def get(self, request, slug: str):
        course, _ = access_course_as_staff(request.user, slug)
        return Response(GradebookOutput(selectors.gradebook_for(course=course)).data)


class LetterCutApi(APIView):
    @extend_schema(
        responses={
            200: LetterCutOutput,
            204: OpenApiResponse(description="No letters decided yet"),
        },
        operation_id="gradebook_letters_retrieve",
    )
    def get(self, request, slug: str):
        course, _ = access_course_as_instructor(request.user, slug)
        cut = selectors.letter_cut_for(course=course)
        if cut is None:
            return Response(status=204)
        return Response(LetterCutOutput(cut).data)
