from django.apps import AppConfig


class StudioConfig(AppConfig):
    """The top layer: server-rendered pages where authors do the whole job. No app imports it."""

    name = "studio"
    verbose_name = "Studio"
