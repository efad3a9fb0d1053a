from django.apps import AppConfig
from django.conf import settings


class PreviewsConfig(AppConfig):
    name = "previews"
    verbose_name = "Previews and videos"

    def ready(self) -> None:
        from contentizer.jobs import registry
        from contentizer.metrics import register_job_metrics
        from previews import services

        registry.register(registry.JobKind(
            name=services.KIND, run=services.preview_render, cleanup=services.preview_cleanup,
            max_concurrency=lambda: settings.PREVIEW_MAX_CONCURRENCY,
        ))
        register_job_metrics(services.KIND)
        from previews.videos import services as videos

        registry.register(registry.JobKind(
            name=videos.KIND, run=videos.video_run, cleanup=videos.video_cleanup,
            max_concurrency=lambda: settings.VIDEO_MAX_CONCURRENCY, stages=videos.STAGES,
        ))
