from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Asset store"

    def ready(self) -> None:
        from assets import selectors
        from contentizer import quota

        quota.register("assets", selectors.asset_usage)
