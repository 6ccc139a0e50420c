from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "beffroi.registry"
    label = "registry"
