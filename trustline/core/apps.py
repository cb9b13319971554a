from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "trustline.core"
    label = "core"
    verbose_name = "Core"
