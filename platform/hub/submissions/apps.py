from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "hub.submissions"
    label = "submissions"
