"""The groups API: one view per operation; each validates, calls a service, serializes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.courses.access import access_course, access_course_as_instructor
from hub.courses.models import Assignment, Course, Membership

from . import selectors, services
from .access import access_group, access_group_set, slot_in
from .models import DEFAULT_SLOT_CAPACITY, Group, GroupSet, PresentationSlot

User = get_user_model()


class ApiErrorsMixin:
    """A service's django ValidationError is the client's mistake: 400 with the messages."""

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            exc = ValidationError(detail)
        return super().handle_exception(exc)


def _student_of(course: Course, username: str):
    user = User.objects.filter(
        username=username, memberships__course=course, memberships__role=Membership.Role.STUDENT
    ).first()
    if user is None:
        raise ValidationError({"student": f"{username!r} is not a student of this course."})
    return user


def _group_assignment(group_set: GroupSet, slug: str) -> Assignment:
    assignment = Assignment.objects.filter(group_set_link__group_set=group_set, slug=slug).first()
    if assignment is None:
        raise ValidationError({"assignment": f"{slug!r} is not graded per group in this set."})
    return assignment


# --- output --------------------------------------------------------------------------------------


class MemberOutput(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class SlotOutput(serializers.Serializer):
    id = serializers.IntegerField()
    round = serializers.CharField()
    capacity = serializers.IntegerField()
    session_id = serializers.IntegerField()
    week = serializers.IntegerField(source="session.week")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    topic = serializers.CharField(source="session.topic")


class GroupOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    topic_kind = serializers.CharField()
    paper_title = serializers.CharField()
    paper_url = serializers.CharField()
    survey_area = serializers.CharField()
    members = serializers.SerializerMethodField()
    slots = serializers.SerializerMethodField()

    def get_members(self, group) -> list[dict]:
        members = self.context.get("members", {}).get(group.pk)
        if members is None:
            members = selectors.group_members(group=group)
        return MemberOutput(members, many=True).data

    def get_slots(self, group) -> dict[str, int]:
        return {a.round: a.slot_id for a in group.slot_assignments.all()}


class GroupSetOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    min_size = serializers.IntegerField()
    max_size = serializers.IntegerField()
    signup_opens_at = serializers.DateTimeField(allow_null=True)
    signup_closes_at = serializers.DateTimeField(allow_null=True)
    assignments = serializers.SerializerMethodField()

    def get_assignments(self, group_set) -> list[str]:
        return [a.slug for a in group_set.assignments.all()]


class GroupSetDetailOutput(GroupSetOutput):
    groups = serializers.SerializerMethodField()
    slots = serializers.SerializerMethodField()
    my_group = serializers.SerializerMethodField()

    def get_groups(self, group_set) -> list[dict]:
        overview = self.context["overview"]
        members = {row.group.pk: row.members for row in overview.groups}
        return GroupOutput(
            [row.group for row in overview.groups], many=True, context={"members": members}
        ).data

    def get_slots(self, group_set) -> list[dict]:
        return SlotOutput([row.slot for row in self.context["overview"].slots], many=True).data

    def get_my_group(self, group_set) -> int | None:
        group = self.context["overview"].my_group
        return group.pk if group else None


class MemberGradeOutput(serializers.Serializer):
    student = serializers.CharField(source="student.username")
    group_points = serializers.DecimalField(max_digits=7, decimal_places=2)
    adjustment = serializers.DecimalField(max_digits=7, decimal_places=2)
    reason = serializers.CharField()
    points = serializers.DecimalField(max_digits=7, decimal_places=2)


def _detail(group_set: GroupSet, user) -> dict:
    overview = selectors.group_set_overview(group_set=group_set, user=user)
    return GroupSetDetailOutput(group_set, context={"overview": overview}).data


# --- sets ----------------------------------------------------------------------------------------


class GroupSetListApi(ApiErrorsMixin, APIView):
    @extend_schema(responses=GroupSetOutput(many=True), operation_id="groups_sets_list")
    def get(self, request, slug: str):
        course, _ = access_course(request.user, slug)
        sets = selectors.group_sets_of(course=course).prefetch_related("assignments")
        return Response(GroupSetOutput(sets, many=True).data)


class GroupSetCreateApi(ApiErrorsMixin, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "GroupSetCreateInput"

        kind = serializers.ChoiceField(choices=GroupSet.Kind.choices)
        title = serializers.CharField(required=False, default="")
        min_size = serializers.IntegerField(min_value=1)
        max_size = serializers.IntegerField(min_value=1)
        signup_opens_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        signup_closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        slot_capacity = serializers.IntegerField(
            min_value=1, required=False, default=DEFAULT_SLOT_CAPACITY
        )

    @extend_schema(
        request=InputSerializer, responses={201: GroupSetOutput}, operation_id="groups_sets_create"
    )
    def post(self, request, slug: str):
        course, _ = access_course_as_instructor(request.user, slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if GroupSet.objects.filter(course=course, kind=data.validated_data["kind"]).exists():
            raise ValidationError({"kind": "This course already has groups of this kind."})
        group_set = services.group_set_create(course=course, **data.validated_data)
        return Response(GroupSetOutput(group_set).data, status=status.HTTP_201_CREATED)


class GroupSetDetailApi(ApiErrorsMixin, APIView):
    @extend_schema(responses=GroupSetDetailOutput, operation_id="groups_sets_retrieve")
    def get(self, request, slug: str, set_id: int):
        group_set, _ = access_group_set(request.user, slug, set_id)
        return Response(_detail(group_set, request.user))


class GroupSetUpdateApi(ApiErrorsMixin, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "GroupSetUpdateInput"

        min_size = serializers.IntegerField(min_value=1, required=False)
        max_size = serializers.IntegerField(min_value=1, required=False)
        signup_opens_at = serializers.DateTimeField(required=False)
        signup_closes_at = serializers.DateTimeField(required=False)

    @extend_schema(
        request=InputSerializer, responses=GroupSetOutput, operation_id="groups_sets_update"
    )
    def post(self, request, slug: str, set_id: int):
        group_set, _ = access_group_set(request.user, slug, set_id, role="instructor")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group_set = services.group_set_update(group_set=group_set, **data.validated_data)
        return Response(GroupSetOutput(group_set).data)


# --- groups and members --------------------------------------------------------------------------


class TopicInput(serializers.Serializer):
    topic_kind = serializers.ChoiceField(
        choices=Group.TopicKind.choices, required=False, default=""
    )
    paper_title = serializers.CharField(required=False, allow_blank=True, default="")
    paper_url = serializers.URLField(required=False, allow_blank=True, default="")
    survey_area = serializers.CharField(required=False, allow_blank=True, default="")


class GroupCreateApi(ApiErrorsMixin, APIView):
    class InputSerializer(TopicInput):
        class Meta:
            ref_name = "GroupCreateInput"

        name = serializers.CharField(max_length=100)

    @extend_schema(
        request=InputSerializer, responses={201: GroupOutput}, operation_id="groups_create"
    )
    def post(self, request, slug: str, set_id: int):
        group_set, membership = access_group_set(request.user, slug, set_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_create(
            group_set=group_set,
            by=request.user,
            join=not membership.is_staff,
            as_staff=membership.is_staff,
            **data.validated_data,
        )
        return Response(GroupOutput(group).data, status=status.HTTP_201_CREATED)


class GroupJoinApi(ApiErrorsMixin, APIView):
    @extend_schema(request=None, responses=GroupOutput, operation_id="groups_join")
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, _ = access_group(request.user, slug, set_id, group_id)
        services.group_join(group=group, student=request.user)
        return Response(GroupOutput(group).data)


class GroupLeaveApi(ApiErrorsMixin, APIView):
    @extend_schema(request=None, responses={204: None}, operation_id="groups_leave")
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, _ = access_group(request.user, slug, set_id, group_id)
        services.group_leave(group=group, student=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupTopicApi(ApiErrorsMixin, APIView):
    @extend_schema(request=TopicInput, responses=GroupOutput, operation_id="groups_topic")
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, membership = access_group(request.user, slug, set_id, group_id)
        data = TopicInput(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_topic_set(
            group=group, by=request.user, as_staff=membership.is_staff, **data.validated_data
        )
        return Response(GroupOutput(group).data)


class StudentInput(serializers.Serializer):
    student = serializers.CharField(help_text="username")


class GroupMemberAddApi(ApiErrorsMixin, APIView):
    class InputSerializer(StudentInput):
        class Meta:
            ref_name = "GroupMemberAddInput"

        over_max = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        request=InputSerializer, responses=GroupOutput, operation_id="groups_members_add"
    )
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, _ = access_group(request.user, slug, set_id, group_id, role="instructor")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        student = _student_of(group.group_set.course, data.validated_data["student"])
        services.group_member_add(
            group=group, student=student, by=request.user, over_max=data.validated_data["over_max"]
        )
        return Response(GroupOutput(group).data)


class GroupMemberRemoveApi(ApiErrorsMixin, APIView):
    @extend_schema(
        request=StudentInput, responses={204: None}, operation_id="groups_members_remove"
    )
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, _ = access_group(request.user, slug, set_id, group_id, role="instructor")
        data = StudentInput(data=request.data)
        data.is_valid(raise_exception=True)
        student = _student_of(group.group_set.course, data.validated_data["student"])
        services.group_member_remove(group=group, student=student, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- slots ---------------------------------------------------------------------------------------


class SlotInput(serializers.Serializer):
    slot = serializers.IntegerField()


class GroupSlotChooseApi(ApiErrorsMixin, APIView):
    @extend_schema(request=SlotInput, responses=GroupOutput, operation_id="groups_slot_choose")
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, _ = access_group(request.user, slug, set_id, group_id)
        data = SlotInput(data=request.data)
        data.is_valid(raise_exception=True)
        slot = slot_in(group.group_set, data.validated_data["slot"])
        services.slot_choose(group=group, slot=slot, student=request.user)
        return Response(GroupOutput(group).data)


class GroupSlotAssignApi(ApiErrorsMixin, APIView):
    class InputSerializer(SlotInput):
        class Meta:
            ref_name = "GroupSlotAssignInput"

        over_capacity = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        request=InputSerializer, responses=GroupOutput, operation_id="groups_slot_assign"
    )
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, _ = access_group(request.user, slug, set_id, group_id, role="instructor")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = slot_in(group.group_set, data.validated_data["slot"])
        services.slot_assign(
            group=group,
            slot=slot,
            by=request.user,
            over_capacity=data.validated_data["over_capacity"],
        )
        return Response(GroupOutput(group).data)


class SlotsAssignRemainingApi(ApiErrorsMixin, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SlotsAssignRemainingInput"

        round = serializers.ChoiceField(choices=PresentationSlot.Round.choices)

    @extend_schema(
        request=InputSerializer,
        responses=GroupSetDetailOutput,
        operation_id="groups_slots_assign_remaining",
    )
    def post(self, request, slug: str, set_id: int):
        group_set, _ = access_group_set(request.user, slug, set_id, role="instructor")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.slots_assign_remaining(
            group_set=group_set, presentation_round=data.validated_data["round"], by=request.user
        )
        return Response(_detail(group_set, request.user))


class SlotUpdateApi(ApiErrorsMixin, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SlotUpdateInput"

        capacity = serializers.IntegerField(min_value=1)

    @extend_schema(
        request=InputSerializer, responses=SlotOutput, operation_id="groups_slots_update"
    )
    def post(self, request, slug: str, set_id: int, slot_id: int):
        group_set, _ = access_group_set(request.user, slug, set_id, role="instructor")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = services.slot_update(
            slot=slot_in(group_set, slot_id), capacity=data.validated_data["capacity"]
        )
        return Response(SlotOutput(slot).data)


# --- grades --------------------------------------------------------------------------------------


class GroupGradeRecordApi(ApiErrorsMixin, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "GroupGradeRecordInput"

        assignment = serializers.CharField(help_text="assignment slug")
        points = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0)
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses=MemberGradeOutput(many=True),
        operation_id="groups_grade_record",
    )
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, _ = access_group(request.user, slug, set_id, group_id, role="staff")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = _group_assignment(group.group_set, data.validated_data["assignment"])
        grade = services.group_grade_record(
            group=group,
            assignment=assignment,
            points=data.validated_data["points"],
            by=request.user,
            comment=data.validated_data["comment"],
        )
        return Response(
            MemberGradeOutput(services.member_grades_of(group_grade=grade), many=True).data
        )


class MemberAdjustmentApi(ApiErrorsMixin, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MemberAdjustmentInput"

        assignment = serializers.CharField(help_text="assignment slug")
        student = serializers.CharField(help_text="username")
        points = serializers.DecimalField(max_digits=7, decimal_places=2)
        reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses=MemberGradeOutput(many=True),
        operation_id="groups_grade_adjust",
    )
    def post(self, request, slug: str, set_id: int, group_id: int):
        group, _ = access_group(request.user, slug, set_id, group_id, role="staff")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = _group_assignment(group.group_set, data.validated_data["assignment"])
        grade = group.grades.filter(assignment=assignment).first()
        if grade is None:
            raise Http404("The group has no grade on this assignment yet")
        student = _student_of(group.group_set.course, data.validated_data["student"])
        services.member_adjustment_set(
            group_grade=grade,
            student=student,
            points=data.validated_data["points"],
            reason=data.validated_data["reason"],
            by=request.user,
        )
        return Response(
            MemberGradeOutput(services.member_grades_of(group_grade=grade), many=True).data
        )
