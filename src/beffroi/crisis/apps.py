from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "beffroi.crisis"
    label = "crisis"
