"""Pages of the groups app, under /courses/<slug>/groups/."""

from django.urls import path

from . import views

app_name = "groups"

_set = "courses/<slug:slug>/groups/<int:set_id>/"
_group = _set + "groups/<int:group_id>/"

urlpatterns = [
    path("courses/<slug:slug>/groups/", views.index, name="index"),
    path("courses/<slug:slug>/groups/create/", views.group_set_create, name="set_create"),
    path(_set, views.group_set_page, name="set"),
    path(_set + "update/", views.group_set_update, name="set_update"),
    path(_set + "grades/<slug:assignment_slug>/", views.grades_page, name="grades"),
    path(_set + "groups/create/", views.group_create, name="create"),
    path(
        _set + "slots/assign-remaining/",
        views.slots_assign_remaining,
        name="slots_assign_remaining",
    ),
    path(_set + "slots/<int:slot_id>/", views.slot_update, name="slot_update"),
    path(_group + "join/", views.group_join, name="join"),
    path(_group + "leave/", views.group_leave, name="leave"),
    path(_group + "topic/", views.group_topic, name="topic"),
    path(_group + "slot/", views.slot_choose, name="slot_choose"),
    path(_group + "slot/assign/", views.slot_assign, name="slot_assign"),
    path(_group + "members/add/", views.member_add, name="member_add"),
    path(_group + "members/remove/", views.member_remove, name="member_remove"),
]
