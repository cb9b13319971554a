from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "trustline.cases"
    label = "cases"
    verbose_name = "Cases"
