from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "trustline.notifications"
    label = "notifications"
    verbose_name = "Notifications"
