from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "trustline.policy"
    label = "policy"
    verbose_name = "Policy review and partner policy feedback"
