from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "hub.grading"
    label = "grading"
