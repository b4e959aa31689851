from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .access import access_course
from .models import Course, Membership, Session
from .selectors import deadlines_for
from .serializers import AssignmentOutput, CourseOutput, SessionOutput


class CourseListApi(APIView):
    @extend_schema(responses=CourseOutput(many=True), operation_id="courses_list")
    def get(self, request):
        memberships = Membership.objects.filter(user=request.user)
        roles = {m.course_id: m.role for m in memberships}
        courses = Course.objects.filter(pk__in=roles).prefetch_related("components")
        return Response(CourseOutput(courses, many=True, context={"roles": roles}).data)


class CourseDetailApi(APIView):
    @extend_schema(responses=CourseOutput, operation_id="courses_retrieve")
    def get(self, request, slug: str):
        course, membership = access_course(request.user, slug)
        return Response(CourseOutput(course, context={"roles": {course.pk: membership.role}}).data)


class ScheduleApi(APIView):
    @extend_schema(responses=SessionOutput(many=True), operation_id="courses_schedule")
    def get(self, request, slug: str):
        course, _ = access_course(request.user, slug)
        return Response(SessionOutput(Session.objects.filter(course=course), many=True).data)


class AssignmentListApi(APIView):
    @extend_schema(responses=AssignmentOutput(many=True), operation_id="courses_assignments")
    def get(self, request, slug: str):
        course, membership = access_course(request.user, slug)
        deadlines = deadlines_for(course=course, membership=membership)
        context = {"deadlines": {d.assignment.pk: d.deadline for d in deadlines}}
        return Response(AssignmentOutput([d.assignment for d in deadlines], many=True, context=context).data)
