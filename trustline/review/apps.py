from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "trustline.review"
    label = "review"
    verbose_name = "Review and decisions"
