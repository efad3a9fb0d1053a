from django.urls import path

from contentizer.api.routing import route
from previews.api import (
    asr_views,
    dub_views,
    recording_views,
    share_views,
    translation_views,
    video_views,
    views,
    voice_views,
)

urlpatterns = [
    *route("preview", views.PreviewCreateApi.as_view(), "preview-create"),
    *route("preview/<uuid:job_id>/status", views.PreviewStatusApi.as_view(), "preview-status"),
    *route("preview/<uuid:job_id>/artifact", views.PreviewArtifactApi.as_view(), "preview-artifact"),
    *route("preview/<uuid:job_id>/cancel", views.PreviewCancelApi.as_view(), "preview-cancel"),
    *route("preview/<uuid:job_id>/retry", views.PreviewRequeueApi.as_view(), "preview-retry"),
]

urlpatterns += [
    *route("videos/generate", video_views.VideoGenerateApi.as_view(), "video-generate"),
    *route("videos/jobs/<uuid:job_id>/status", video_views.VideoJobStatusApi.as_view(), "video-job-status"),
    *route("videos/jobs/<uuid:job_id>/cancel", video_views.VideoJobCancelApi.as_view(), "video-job-cancel"),
    *route("videos/<uuid:video_id>", video_views.VideoDetailApi.as_view(), "video-detail"),
    *route("chapters/<int:chapter_id>/videos", video_views.ChapterVideoListApi.as_view(), "chapter-video-list"),
    *route("videos/<uuid:video_id>/download", video_views.VideoDownloadApi.as_view(), "video-download"),
    *route("videos/<uuid:video_id>/stream", video_views.VideoStreamApi.as_view(), "video-stream"),
    *route("videos/<uuid:video_id>/poster", video_views.VideoPosterApi.as_view(), "video-poster"),
    path("videos/<uuid:video_id>/hls/<path:name>", video_views.VideoHlsApi.as_view(), name="video-hls"),
    path("videos/<uuid:video_id>/subtitles/<str:filename>", video_views.VideoSubtitlesApi.as_view(),
         name="video-subtitles"),
    *route("videos/<uuid:video_id>/shares", share_views.VideoSharesApi.as_view(), "video-shares"),
    *route("videos/<uuid:video_id>/shares/<uuid:share_id>", share_views.VideoShareDetailApi.as_view(),
           "video-share-detail"),
    *route("media/assets/<int:asset_id>", video_views.MediaAssetApi.as_view(), "media-asset"),
]

urlpatterns += [
    *route("v1/voices", voice_views.VoiceListApi.as_view(), "voice-list"),
    *route("v1/voices/<str:voice_id>/sample", voice_views.VoiceSampleApi.as_view(), "voice-sample"),
    *route("projects/<int:project_id>/voices", voice_views.ProjectVoiceListApi.as_view(), "project-voice-list"),
    *route("projects/<int:project_id>/voices/<str:language>", voice_views.ProjectVoiceDetailApi.as_view(),
           "project-voice-detail"),
    *route("projects/<int:project_id>/lexicon", voice_views.LexiconListApi.as_view(), "lexicon-list"),
    *route("projects/<int:project_id>/lexicon/<int:entry_id>", voice_views.LexiconDetailApi.as_view(),
           "lexicon-detail"),
]

urlpatterns += [
    *route("translation/engines", translation_views.TranslationEngineListApi.as_view(), "translation-engines"),
    *route("v1/asr/models", asr_views.AsrModelListApi.as_view(), "asr-models"),
    *route("chapters/<int:chapter_id>/translate", translation_views.ChapterTranslateApi.as_view(),
           "chapter-translate"),
]

urlpatterns += [
    *route("v1/dubs", dub_views.DubListApi.as_view(), "dub-list"),
    *route("v1/dubs/<uuid:dub_id>", dub_views.DubDetailApi.as_view(), "dub-detail"),
    *route("v1/dubs/<uuid:dub_id>/segments/<int:index>", dub_views.DubSegmentApi.as_view(), "dub-segment"),
    *route("v1/dubs/<uuid:dub_id>/resume", dub_views.DubResumeApi.as_view(), "dub-resume"),
    *route("steps/<int:step_id>/narration/<str:language>/recording", recording_views.StepRecordingApi.as_view(),
           "step-recording"),
    *route("projects/<int:project_id>/chapters/from-recording", recording_views.ChapterFromRecordingApi.as_view(),
           "chapter-from-recording"),
]
