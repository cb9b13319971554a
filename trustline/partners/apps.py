from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "trustline.partners"
    label = "partners"
    verbose_name = "Trusted partners"
