from django.urls import path

from . import api

urlpatterns = [
    path(
        "courses/<slug:slug>/submissions/<int:submission_id>/grading/",
        api.GradingStatusApi.as_view(),
        name="api-grading-status",
    ),
]
