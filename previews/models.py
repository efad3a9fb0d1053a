"""Full videos (the finished render of a chapter) and the rendered pieces cached by content."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Video(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    project = models.ForeignKey("contentizer.Project", on_delete=models.CASCADE, related_name="videos")
    # None for a dubbed recording (previews.dubs): its picture is the recording, not a chapter's steps
    chapter = models.ForeignKey("contentizer.Chapter", on_delete=models.CASCADE, related_name="videos",
                                null=True, blank=True)
    job = models.OneToOneField("contentizer.Job", on_delete=models.PROTECT, related_name="video")
    # what its share page shows: a rename of the chapter after sharing must not reach link holders
    title = models.CharField(max_length=200, blank=True, default="",
                             help_text="the chapter's title when the video was asked for")
    height = models.PositiveIntegerField(default=720, help_text="the resolution: the short edge in pixels")
    aspect = models.CharField(max_length=8, default="16:9")
    languages = models.JSONField(default=list)
    music = models.JSONField(default=dict, blank=True)
    # filled by the package stage
    mp4_key = models.CharField(max_length=255, blank=True, default="")
    hls_prefix = models.CharField(max_length=255, blank=True, default="")
    poster_key = models.CharField(max_length=255, blank=True, default="")
    duration = models.FloatField(null=True, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    renditions = models.JSONField(default=dict, blank=True)
    # hash of the chapter's steps the video was made from: an export leaves out a stale render
    chapter_state = models.CharField(max_length=64, blank=True, default="")
    # [{"start": seconds, "caption": "..."}] per step, as rendered: the watch page's step list
    steps = models.JSONField(default=list, blank=True)
    # each language's own picture (its captions, its timing): {language: {"mp4Key", "size", "duration",
    # "tree", "starts", ...}}; empty for videos made when one picture served every language
    pictures = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # wall time of the render stage (with piece jobs: from handing them out to the joined MP4s), for
    # the operators' "render seconds per output second" (/metrics)
    render_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True, help_text="a newer render of the chapter exists")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"video {self.id} of {self.chapter_id or 'a dubbed recording'}"

    def playable(self) -> bool:
        """Whether its files may be watched: its job succeeded; or, a dubbed recording made again after an
        edit (previews.dubs), it was packaged before: its files stay until the rerun replaces them."""
        if not self.mp4_key:
            return False
        return self.job.status == "succeeded" or (self.chapter_id is None and self.finished_at is not None)

    @property
    def heading(self) -> str:
        """What pages and downloads call it: its chapter's title now, or (a dubbed recording, which has
        no chapter) the title it was made with."""
        return self.chapter.title if self.chapter_id else self.title

    def picture(self, language: str = "") -> dict | None:
        """What shows `language` (the first language when none is named), None for a language the
        video does not have: its MP4 (`mp4Key`, `size`, `duration`), its HLS tree under the
        video's `hls/` folder (`tree`: "" for the root) and where each step starts (`starts`).
        A video made when one picture served every language answers that picture for each."""
        languages = self.languages or [""]
        language = language or languages[0]
        if language not in languages:
            return None
        if self.pictures:
            return self.pictures.get(language)
        return {"mp4Key": self.mp4_key, "size": self.size, "duration": self.duration, "tree": "",
                "starts": [step.get("start", 0.0) for step in self.steps or []], "shared": True}


class Dub(models.Model):
    """A recording dubbed into other languages (previews.dubs): its transcript with each segment's
    translations, which the author may edit, the job that makes it and the Video it made.

    `segments`: [{"index", "start", "end", "text", "edited", "words": [{"start", "end", "text",
    "probability"}], "translations": {language: {"text", "edited", "source", "pair"}}}], times in
    seconds of the recording. A translation's `source` is the source text it was made from: a
    machine translation is redone only when that text changed, an edited one never.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dubs")
    project = models.ForeignKey("contentizer.Project", on_delete=models.CASCADE, related_name="dubs")
    # the recording; its blob's hash stays when the asset link is deleted, so the job can name what is missing
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="dubs")
    source_sha256 = models.CharField(max_length=64)
    title = models.CharField(max_length=200, blank=True, default="", help_text="the recording's name when asked for")
    source_language = models.CharField(max_length=35, blank=True, default="",
                                       help_text="as asked for, or as detected by the asr stage")
    target_languages = models.JSONField(default=list)
    voices = models.JSONField(default=dict, blank=True, help_text="{language: voice id}; the project's voice otherwise")
    job = models.OneToOneField("contentizer.Job", on_delete=models.PROTECT, related_name="dub")
    segments = models.JSONField(default=list, blank=True)
    # the earliest stage the author's edits since the last run affect ("" when none): what a resume reruns
    edited_from = models.CharField(max_length=16, blank=True, default="")
    video = models.OneToOneField(Video, null=True, blank=True, on_delete=models.SET_NULL, related_name="dub")
    segments_sped_up = models.PositiveIntegerField(null=True, blank=True,
                                                   help_text="spoken faster to fit their slot, every language")
    grown_seconds = models.FloatField(null=True, blank=True,
                                      help_text="how much longer than the recording the longest dubbed picture is")
    fits = models.JSONField(default=dict, blank=True, help_text="{language: {segmentsSpedUp, grownSeconds}}")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="dub_owner_created")]

    def __str__(self) -> str:
        return f"dub {self.id} ({self.source_language or '?'} → {', '.join(self.target_languages)})"


class Share(models.Model):
    """A link that lets anyone who has it watch one video, until it expires or is revoked.

    The link carries a signature of this row's id (previews/shares.py); every request through
    it, page or media, looks the row up again, so revoking or expiring takes effect at once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # the video it was made for; a chapter's link plays the newest finished video of that video's chapter,
    # shape and resolution (previews/shares.py `share_playing`)
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="shares")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="empty: works until revoked")
    revoked_at = models.DateTimeField(null=True, blank=True)
    # counted by the share page's player (no third-party analytics): playback started, played to the end
    plays_started = models.PositiveIntegerField(default=0)
    plays_finished = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["video", "-created_at"], name="share_video_created")]

    def __str__(self) -> str:
        return f"share {self.id} of {self.video_id}"


class Segment(models.Model):
    """A rendered piece of picture (a scene's body, a transition, or a chunk of a long preview),
    keyed by everything that shapes it: a re-render after a one-step edit re-encodes only the
    pieces whose key changed."""

    key = models.CharField(max_length=64, unique=True)
    storage_key = models.CharField(max_length=255)
    frames = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key[:12]


class ProjectVoice(models.Model):
    """A project's narration choice for one language: the voice (blank = the best available one) and
    the speaking rate (1.0 = the voice's own pace)."""

    project = models.ForeignKey("contentizer.Project", on_delete=models.CASCADE, related_name="voices")
    language = models.CharField(max_length=35)
    voice = models.CharField(max_length=120, blank=True, default="")
    rate = models.FloatField(default=1.0, validators=[MinValueValidator(0.5), MaxValueValidator(2.0)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "language"]
        constraints = [
            models.UniqueConstraint(fields=["project", "language"], name="projectvoice_unique_language"),
            models.CheckConstraint(condition=models.Q(rate__gte=0.5, rate__lte=2.0), name="projectvoice_rate_range"),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.voice or 'default'} × {self.rate}"


class LexiconEntry(models.Model):
    """How a written form (a product name, an abbreviation) is said in one language of a project."""

    project = models.ForeignKey("contentizer.Project", on_delete=models.CASCADE, related_name="lexicon")
    language = models.CharField(max_length=35)
    written = models.CharField(max_length=100)
    spoken = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "language", "written"]
        constraints = [
            models.UniqueConstraint(fields=["project", "language", "written"], name="lexicon_unique_written"),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.written} → {self.spoken}"


VOICE_STORAGE_PREFIX = "voices/piper"  # uploaded voices' files, named by their SHA-256


class UploadedVoice(models.Model):
    """A Piper voice an operator uploaded in the admin (previews/tts/uploaded.py). It spoke a test
    sentence before this row was written; its two files live in the shared storage under keys made of
    their SHA-256, so every worker machine fetches the same bytes and caches them by hash."""

    name = models.CharField(max_length=81, unique=True, help_text="its voice id is piper:<name>")
    language = models.CharField(max_length=35, help_text="BCP 47, e.g. de-DE")
    model_sha256 = models.CharField(max_length=64)
    model_size = models.BigIntegerField()
    config_sha256 = models.CharField(max_length=64)
    config_size = models.PositiveIntegerField()
    sample_rate = models.PositiveIntegerField()
    quality = models.CharField(max_length=16, blank=True, default="", help_text="Piper's: x_low, low, medium, high")
    licence = models.CharField(max_length=300, blank=True, default="", help_text="from its config, when it says")
    enabled = models.BooleanField(default=True, help_text="offered to projects; off: projects that chose it "
                                                          "fall back to the next best voice")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["language", "name"]

    def __str__(self) -> str:
        return f"piper:{self.name} ({self.language})"

    @property
    def voice_id(self) -> str:
        return f"piper:{self.name}"

    @property
    def model_key(self) -> str:
        return f"{VOICE_STORAGE_PREFIX}/{self.model_sha256}.onnx"

    @property
    def config_key(self) -> str:
        return f"{VOICE_STORAGE_PREFIX}/{self.config_sha256}.onnx.json"
