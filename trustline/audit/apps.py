from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "trustline.audit"
    label = "audit"
    verbose_name = "Audit log"
