from django.apps import AppConfig
from django.conf import settings


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports and imports"

    def ready(self) -> None:
        from contentizer.jobs import registry
        from exports import selectors, services, views
        from exports.api.serializers import ExportJobSerializer, ImportJobSerializer

        registry.register(registry.JobKind(
            name=services.KIND, run=services.export_run, cleanup=services.export_cleanup,
            max_concurrency=lambda: settings.EXPORT_MAX_CONCURRENCY,
            serializer=ExportJobSerializer, describe=selectors.export_job_fields, section=views.export_section,
        ))
        registry.register(registry.JobKind(
            name=services.IMPORT_KIND, run=services.import_run, cleanup=services.import_cleanup,
            max_concurrency=lambda: settings.IMPORT_MAX_CONCURRENCY, ended=services.import_ended,
            serializer=ImportJobSerializer, describe=selectors.import_job_fields,
            section=views.import_section, label="Import",
        ))
