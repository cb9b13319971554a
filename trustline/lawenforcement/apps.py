from django.apps import AppConfig


class LawEnforcementConfig(AppConfig):
    name = "trustline.lawenforcement"
    label = "lawenforcement"
    verbose_name = "Law-enforcement directory, requests, referrals and NCMEC reports"
