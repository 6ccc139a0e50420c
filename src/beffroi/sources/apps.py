from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "beffroi.sources"
    label = "sources"
