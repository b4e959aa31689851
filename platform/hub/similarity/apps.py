from django.apps import AppConfig


class SimilarityConfig(AppConfig):
    name = "hub.similarity"
    label = "similarity"
    verbose_name = "Code similarity"
