"""Pages of the gradebook app."""

from django.urls import path

from . import views

app_name = "gradebook"
urlpatterns = [
    path("courses/<slug:slug>/gradebook/", views.gradebook, name="gradebook"),
    path("courses/<slug:slug>/gradebook/canvas.csv", views.gradebook_csv, name="canvas_csv"),
    path("courses/<slug:slug>/gradebook/letters/", views.letters, name="letters"),
    path(
        "courses/<slug:slug>/gradebook/letters/preview/",
        views.letters_preview,
        name="letters_preview",
    ),
    path("courses/<slug:slug>/gradebook/letters/save/", views.letters_save, name="letters_save"),
    path("courses/<slug:slug>/gradebook/letters/lock/", views.letters_lock, name="letters_lock"),
    path(
        "courses/<slug:slug>/gradebook/letters/unlock/", views.letters_unlock, name="letters_unlock"
    ),
]
