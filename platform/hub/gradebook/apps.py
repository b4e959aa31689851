from django.apps import AppConfig


class GradebookConfig(AppConfig):
    name = "hub.gradebook"
    label = "gradebook"
