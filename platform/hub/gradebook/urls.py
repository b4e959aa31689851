"""Pages of the gradebook app."""

app_name = "gradebook"
urlpatterns: list = []
