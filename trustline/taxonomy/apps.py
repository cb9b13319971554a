from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "trustline.taxonomy"
    label = "taxonomy"
    verbose_name = "Taxonomy"
