"""API endpoints of the groups app."""

urlpatterns: list = []
