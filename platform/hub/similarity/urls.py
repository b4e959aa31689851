"""Pages of the similarity app."""

app_name = "similarity"
urlpatterns: list = []
