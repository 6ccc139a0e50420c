from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "beffroi.alerts"
    label = "alerts"
