from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "trustline.metrics"
    label = "metrics"
    verbose_name = "Response-time metrics and partner scorecards"
