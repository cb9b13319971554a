from django.apps import AppConfig


class TrendsConfig(AppConfig):
    name = "trustline.trends"
    label = "trends"
    verbose_name = "Spike detection, incident clustering and insight reports"
