from django.apps import AppConfig


class SignalsConfig(AppConfig):
    name = "trustline.signals"
    label = "signals"
    verbose_name = "Signal exchange with peer platforms (ThreatExchange signal types, TLP 2.0, STIX 2.1)"
