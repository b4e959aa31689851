"""API endpoints of the grading app."""

urlpatterns: list = []
