from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "trustline.console"
    label = "console"
    verbose_name = "Reviewer console and programme dashboards (web UI)"
