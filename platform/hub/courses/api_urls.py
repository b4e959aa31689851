from django.urls import path

from . import api

urlpatterns = [
    path("courses/", api.CourseListApi.as_view(), name="api-courses"),
    path("courses/<slug:slug>/", api.CourseDetailApi.as_view(), name="api-course"),
    path("courses/<slug:slug>/schedule/", api.ScheduleApi.as_view(), name="api-schedule"),
    path("courses/<slug:slug>/assignments/", api.AssignmentListApi.as_view(), name="api-assignments"),
]
