from django.apps import AppConfig


class RubricsConfig(AppConfig):
    name = "hub.rubrics"
    label = "rubrics"
    verbose_name = "Rubric grading"
