from django.apps import AppConfig
from django.conf import settings


class PreviewsConfig(AppConfig):
    name = "previews"
    verbose_name = "Previews and videos"

    def ready(self) -> None:
        from contentizer import quota
        from contentizer.jobs import registry
        from previews import selectors, services, views
        from previews.api.serializers import PreviewJobSerializer, VideoJobSerializer
        from previews.videos import services as videos

        registry.register(registry.JobKind(
            name=services.KIND, run=services.preview_render, cleanup=services.preview_cleanup,
            max_concurrency=lambda: settings.PREVIEW_MAX_CONCURRENCY,
            serializer=PreviewJobSerializer, describe=selectors.preview_job_fields,
            section=views.preview_section,
        ))
        registry.register(registry.JobKind(
            name=videos.KIND, run=videos.video_run, cleanup=videos.video_cleanup,
            max_concurrency=lambda: settings.VIDEO_MAX_CONCURRENCY, stages=videos.STAGES,
            serializer=VideoJobSerializer, describe=lambda job: selectors.video_job_fields(job, videos.STAGES),
            section=views.video_section,
        ))
        from previews import pieces

        registry.register(registry.JobKind(  # a run of a long video's pieces, for any worker (docs/operations.md)
            name=pieces.KIND, run=pieces.piece_run, cleanup=pieces.piece_cleanup,
            max_concurrency=lambda: settings.PIECE_MAX_CONCURRENCY, listed=False, label="Video piece",
        ))
        from contentizer.metrics import register_render_metrics

        register_render_metrics()
        quota.register("videos", videos.video_usage)
        self._register_translation(registry)
        self._register_dubs(registry)
        self._register_recordings(registry)
        from previews import checks  # noqa: F401 - registers the voice and translation model checks
        from previews.tts import catalogue

        catalogue.log_problems_at_start()
        from previews.translation import catalogue as translation_catalogue

        translation_catalogue.log_problems_at_start()
        from previews import asr

        asr.log_problems_at_start()

    @staticmethod
    def _register_translation(registry) -> None:
        from previews import views
        from previews.api.serializers import TranslationJobSerializer
        from previews.translation import jobs as translation

        registry.register(registry.JobKind(
            name=translation.KIND, run=translation.translate_run, cleanup=translation.translate_cleanup,
            max_concurrency=translation.translate_max_concurrency, serializer=TranslationJobSerializer,
            describe=translation.translate_job_fields, section=views.translate_section, label="Translation",
        ))

    @staticmethod
    def _register_dubs(registry) -> None:
        from previews import views
        from previews.api.dub_views import DubJobSerializer
        from previews.dubs import selectors as dub_selectors
        from previews.dubs import services as dubs

        registry.register(registry.JobKind(
            name=dubs.KIND, run=dubs.dub_run, cleanup=dubs.dub_cleanup,
            max_concurrency=lambda: settings.VIDEO_MAX_CONCURRENCY, stages=dubs.STAGES,
            serializer=DubJobSerializer, describe=dub_selectors.dub_job_fields, section=views.dub_section,
        ))
        from assets import references

        references.register(dubs.dub_recordings_in_use)

    @staticmethod
    def _register_recordings(registry) -> None:
        from previews.api.serializers import RecordingChapterJobSerializer, TranscribeJobSerializer
        from previews.recordings import chapters, narration

        registry.register(registry.JobKind(
            name=narration.KIND, run=narration.transcribe_run, cleanup=narration.transcribe_cleanup,
            max_concurrency=narration.transcribe_max_concurrency, serializer=TranscribeJobSerializer,
            describe=narration.transcribe_job_fields, ended=narration.transcribe_ended, label="Transcription",
        ))
        registry.register(registry.JobKind(
            name=chapters.KIND, run=chapters.recording_chapter_run, cleanup=chapters.recording_chapter_cleanup,
            max_concurrency=chapters.recording_chapter_max_concurrency, serializer=RecordingChapterJobSerializer,
            describe=chapters.recording_chapter_job_fields, section=chapters.recording_chapter_section,
            label="Chapter from a recording",
        ))
