from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "trustline.transparency"
    label = "transparency"
    verbose_name = "DSA statements of reasons and transparency reports"
