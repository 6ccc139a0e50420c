from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "beffroi.monitoring"
    label = "monitoring"
