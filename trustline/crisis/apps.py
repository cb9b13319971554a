from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "trustline.crisis"
    label = "crisis"
    verbose_name = "Crisis Policy Protocol: designated crises and their boost"
