from django.apps import AppConfig


class CrossingConfig(AppConfig):
    name = "beffroi.crossing"
    label = "crossing"
