"""Pages of the submissions app."""

from django.urls import path

from . import views

app_name = "submissions"

A = "courses/<slug:slug>/assignments/<slug:assignment_slug>/"
S = A + "submissions/<int:submission_id>/"

urlpatterns = [
    path(A, views.assignment_page, name="assignment"),
    path(A + "submit/", views.submission_create, name="create"),
    path(A + "submissions/", views.submission_list_fragment, name="list"),
    path(S, views.receipt, name="receipt"),
    path(S + "activate/", views.submission_activate, name="activate"),
    path(S + "files/<int:file_id>/", views.file_download, name="file"),
    path(A + "regrade/", views.regrade_request, name="regrade"),
    path(A + "staff/", views.staff_page, name="staff"),
    path(A + "staff/extension/", views.extension_grant, name="extension-grant"),
    path(A + "staff/correction/", views.correction_grant, name="correction-grant"),
    path(A + "staff/emailed/", views.emailed_create, name="emailed-create"),
    path(A + "regrades/<int:regrade_id>/decide/", views.regrade_decide, name="regrade-decide"),
    path("courses/<slug:slug>/submissions/", views.my_submissions, name="mine"),
    path("courses/<slug:slug>/accommodations/", views.accommodations, name="accommodations"),
]
