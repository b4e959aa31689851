"""API endpoints of the gradebook app."""

from django.urls import path

from . import api

urlpatterns = [
    path("courses/<slug:slug>/gradebook/", api.GradebookApi.as_view(), name="api-gradebook"),
    path(
        "courses/<slug:slug>/gradebook/letters/",
        api.LetterCutApi.as_view(),
        name="api-gradebook-letters",
    ),
]
