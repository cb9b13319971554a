from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "trustline.oncall"
    label = "oncall"
    verbose_name = "On-call schedules, escalation chains, paging and the emergency lane"
