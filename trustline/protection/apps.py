from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "trustline.protection"
    label = "protection"
    verbose_name = "Protected people: partners' nominations of at-risk accounts"
