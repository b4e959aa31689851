"""API endpoints of the submissions app (included under /api/)."""

from django.urls import path

from . import api

A = "courses/<slug:slug>/assignments/<slug:assignment_slug>/"

urlpatterns = [
    path(f"{A}submissions/", api.SubmissionListApi.as_view(), name="api-submissions"),
    path(
        f"{A}submissions/create/", api.SubmissionCreateApi.as_view(), name="api-submission-create"
    ),
    path(
        f"{A}submissions/emailed/",
        api.SubmissionEmailedCreateApi.as_view(),
        name="api-submission-emailed",
    ),
    path(
        f"{A}submissions/<int:submission_id>/",
        api.SubmissionDetailApi.as_view(),
        name="api-submission",
    ),
    path(
        f"{A}submissions/<int:submission_id>/activate/",
        api.SubmissionActivateApi.as_view(),
        name="api-submission-activate",
    ),
    path(
        f"{A}submissions/<int:submission_id>/files/<int:file_id>/",
        api.SubmissionFileDownloadApi.as_view(),
        name="api-submission-file",
    ),
    path(f"{A}deadline/", api.DeadlineApi.as_view(), name="api-deadline"),
    path(f"{A}extensions/", api.ExtensionGrantApi.as_view(), name="api-extension-grant"),
    path(f"{A}corrections/", api.CorrectionWindowGrantApi.as_view(), name="api-correction-grant"),
    path(f"{A}grade/", api.GradeApi.as_view(), name="api-grade"),
    path(f"{A}grades/release/", api.GradeReleaseApi.as_view(), name="api-grades-release"),
    path(f"{A}regrades/", api.RegradeRequestCreateApi.as_view(), name="api-regrade-request"),
    path(
        f"{A}regrades/<int:regrade_id>/decide/",
        api.RegradeDecideApi.as_view(),
        name="api-regrade-decide",
    ),
    path(
        "courses/<slug:slug>/accommodations/",
        api.AccommodationRegisterApi.as_view(),
        name="api-accommodation-register",
    ),
]
