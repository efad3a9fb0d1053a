from django.apps import AppConfig
from django.conf import settings


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports and imports"

    def ready(self) -> None:
        from contentizer.jobs import registry
        from exports import services, views

        registry.register(registry.JobKind(
            name=services.KIND, run=services.export_run, cleanup=services.export_cleanup,
            max_concurrency=lambda: settings.EXPORT_MAX_CONCURRENCY, section=views.export_section,
        ))
