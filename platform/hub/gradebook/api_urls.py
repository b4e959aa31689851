"""API endpoints of the gradebook app."""

urlpatterns: list = []
