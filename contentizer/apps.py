from django.apps import AppConfig


class ContentizerConfig(AppConfig):
    name = "contentizer"
    verbose_name = "Contentizer"
