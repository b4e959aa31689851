"""Pages of the submissions app."""

app_name = "submissions"
urlpatterns: list = []
