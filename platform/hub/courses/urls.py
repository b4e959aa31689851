from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("courses/<slug:slug>/", views.dashboard, name="dashboard"),
    path("courses/<slug:slug>/schedule/", views.schedule, name="schedule"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("courses/<slug:slug>/deadlines/", views.deadlines, name="deadlines"),
    path("courses/<slug:slug>/deadlines/<slug:assignment_slug>/", views.deadline_row, name="deadline-row"),
]
