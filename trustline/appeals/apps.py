from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "trustline.appeals"
    label = "appeals"
    verbose_name = "Contests of decisions (DSA Art. 20)"
