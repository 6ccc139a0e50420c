from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "beffroi.reports"
    label = "reports"
