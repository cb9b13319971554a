from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "trustline.platforms"
    label = "platforms"
    verbose_name = "Platform connectors and enforcement"
