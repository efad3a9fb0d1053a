from django.apps import AppConfig
from django.conf import settings


class PreviewsConfig(AppConfig):
    name = "previews"
    verbose_name = "Previews and videos"

    def ready(self) -> None:
        from contentizer.jobs import registry
        from previews import services

        registry.register(registry.JobKind(
            name=services.KIND, run=services.preview_render, cleanup=services.preview_cleanup,
            max_concurrency=lambda: settings.PREVIEW_MAX_CONCURRENCY,
        ))
        from previews import pipeline

        registry.register(registry.JobKind(
            name=pipeline.KIND, run=pipeline.video_run, cleanup=pipeline.video_cleanup,
            max_concurrency=lambda: settings.VIDEO_MAX_CONCURRENCY, stages=pipeline.STAGES,
        ))
