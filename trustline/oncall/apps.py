from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "trustline.oncall"
    label = "oncall"
    verbose_name = "On-call schedules, escalation chains, paging and the emergency lane"

    def ready(self) -> None:
        # The paging channels' senders join the outbox's registry (PagerDuty, SMS/voice).
        from trustline.oncall.senders import register

        register()
