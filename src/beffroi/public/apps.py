from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "beffroi.public"
    label = "public"
