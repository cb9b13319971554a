from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "trustline.triage"
    label = "triage"
    verbose_name = "Triage and SLAs"
