from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo programme (``trustline seed_demo``): data files and the code that loads them.

    It has no models: everything it creates goes through the other apps'
    services, so the demo exercises the same paths as real partners.
    """

    name = "trustline.demo"
    label = "demo"
    verbose_name = "Demo programme"
