"""Pages of the groups app."""

app_name = "groups"
urlpatterns: list = []
