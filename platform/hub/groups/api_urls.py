"""API endpoints of the groups app, under /api/courses/<slug>/groups/."""

from django.urls import path

from . import api

_set = "courses/<slug:slug>/groups/<int:set_id>/"
_group = _set + "groups/<int:group_id>/"

urlpatterns = [
    path("courses/<slug:slug>/groups/", api.GroupSetListApi.as_view(), name="api-group-sets"),
    path(
        "courses/<slug:slug>/groups/create/",
        api.GroupSetCreateApi.as_view(),
        name="api-group-set-create",
    ),
    path(_set, api.GroupSetDetailApi.as_view(), name="api-group-set"),
    path(_set + "update/", api.GroupSetUpdateApi.as_view(), name="api-group-set-update"),
    path(_set + "groups/create/", api.GroupCreateApi.as_view(), name="api-group-create"),
    path(
        _set + "slots/assign-remaining/",
        api.SlotsAssignRemainingApi.as_view(),
        name="api-group-slots-assign-remaining",
    ),
    path(_set + "slots/<int:slot_id>/", api.SlotUpdateApi.as_view(), name="api-group-slot-update"),
    path(_group + "join/", api.GroupJoinApi.as_view(), name="api-group-join"),
    path(_group + "leave/", api.GroupLeaveApi.as_view(), name="api-group-leave"),
    path(_group + "topic/", api.GroupTopicApi.as_view(), name="api-group-topic"),
    path(_group + "slot/", api.GroupSlotChooseApi.as_view(), name="api-group-slot-choose"),
    path(_group + "slot/assign/", api.GroupSlotAssignApi.as_view(), name="api-group-slot-assign"),
    path(_group + "members/add/", api.GroupMemberAddApi.as_view(), name="api-group-member-add"),
    path(
        _group + "members/remove/",
        api.GroupMemberRemoveApi.as_view(),
        name="api-group-member-remove",
    ),
    path(_group + "grades/", api.GroupGradeRecordApi.as_view(), name="api-group-grade-record"),
    path(
        _group + "grades/adjust/", api.MemberAdjustmentApi.as_view(), name="api-group-grade-adjust"
    ),
]
