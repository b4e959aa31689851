"""Pages of the similarity app."""

from django.urls import path

from . import views

app_name = "similarity"
_a = "courses/<slug:slug>/assignments/<slug:assignment_slug>/similarity"
urlpatterns = [
    path(f"{_a}/", views.report, name="report"),
    path(f"{_a}/run/", views.run, name="run"),
    path(f"{_a}/<int:a_id>/<int:b_id>/", views.pair, name="pair"),
]
