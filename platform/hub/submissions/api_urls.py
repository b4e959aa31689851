"""API endpoints of the submissions app."""

urlpatterns: list = []
