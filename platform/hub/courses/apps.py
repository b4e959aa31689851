from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "hub.courses"
    label = "courses"
