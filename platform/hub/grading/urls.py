from django.urls import path

from . import views

app_name = "grading"
urlpatterns = [
    path("courses/<slug:slug>/submissions/<int:submission_id>/report/", views.report_page, name="report"),
    path("courses/<slug:slug>/submissions/<int:submission_id>/status/", views.status_fragment, name="status"),
    path("courses/<slug:slug>/submissions/<int:submission_id>/rerun/", views.rerun, name="rerun"),
    path(
        "courses/<slug:slug>/submissions/<int:submission_id>/reports/<int:report_id>/artifacts/<str:name>",
        views.artifact,
        name="artifact",
    ),
    path("courses/<slug:slug>/assignments/<slug:assignment_slug>/reports/", views.reports_list, name="reports"),
    path("courses/<slug:slug>/assignments/<slug:assignment_slug>/reports/rerun/", views.rerun_all, name="rerun-all"),
    path("courses/<slug:slug>/assignments/<slug:assignment_slug>/leaderboard/", views.leaderboard, name="leaderboard"),
    path("courses/<slug:slug>/assignments/<slug:assignment_slug>/starter.zip", views.starter_download, name="starter"),
]
