"""Pages of the grading app."""

app_name = "grading"
urlpatterns: list = []
