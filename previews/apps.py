from django.apps import AppConfig
from django.conf import settings


class PreviewsConfig(AppConfig):
    name = "previews"
    verbose_name = "Previews and videos"

    def ready(self) -> None:
        from contentizer.jobs import registry
        from contentizer.metrics import register_job_metrics
        from previews import pipeline, selectors, services, views
        from previews.api.serializers import PreviewJobSerializer, VideoJobSerializer

        registry.register(registry.JobKind(
            name=services.KIND, run=services.preview_render, cleanup=services.preview_cleanup,
            max_concurrency=lambda: settings.PREVIEW_MAX_CONCURRENCY,
            serializer=PreviewJobSerializer, describe=selectors.preview_job_fields,
            section=views.preview_section,
        ))
        register_job_metrics(services.KIND)
        registry.register(registry.JobKind(
            name=pipeline.KIND, run=pipeline.video_run, cleanup=pipeline.video_cleanup,
            max_concurrency=lambda: settings.VIDEO_MAX_CONCURRENCY, stages=pipeline.STAGES,
            serializer=VideoJobSerializer, describe=lambda job: selectors.video_job_fields(job, pipeline.STAGES),
            section=views.video_section,
        ))
        from previews import checks  # noqa: F401 - registers the voice checks
        from previews.tts import catalogue

        catalogue.log_problems_at_start()
