from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "trustline.routing"
    label = "routing"
    verbose_name = "Routing and queues"
