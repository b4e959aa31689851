"""Pages of the rubrics app."""

from django.urls import path

from . import views

app_name = "rubrics"
_a = "courses/<slug:slug>/assignments/<slug:assignment_slug>"
urlpatterns = [
    path(f"{_a}/rubric/", views.rubric_edit, name="edit"),
    path(f"{_a}/rubric/questions/", views.question_create, name="question_create"),
    path(
        f"{_a}/rubric/questions/<int:question_id>/", views.question_update, name="question_update"
    ),
    path(f"{_a}/rubric/questions/<int:question_id>/items/", views.item_create, name="item_create"),
    path(f"{_a}/rubric/items/<int:item_id>/", views.item_update, name="item_update"),
    path(f"{_a}/rubric/items/<int:item_id>/delete/", views.item_delete, name="item_delete"),
    path(f"{_a}/grading/", views.queue, name="queue"),
    path(f"{_a}/grading/<int:submission_id>/", views.grade, name="grade"),
    path(
        f"{_a}/grading/<int:submission_id>/items/<int:item_id>/toggle/", views.toggle, name="toggle"
    ),
    path(
        f"{_a}/grading/<int:submission_id>/questions/<int:question_id>/note/",
        views.note,
        name="note",
    ),
    path(
        f"{_a}/grading/<int:submission_id>/files/<int:file_id>/", views.submission_file, name="file"
    ),
    path(f"{_a}/feedback/", views.feedback, name="feedback"),
]
