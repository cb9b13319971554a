from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trustline.accounts"
    label = "accounts"
    verbose_name = "Organisations and people"
