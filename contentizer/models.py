"""The core domain: a project owns ordered chapters, a chapter owns ordered steps."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contentizer import transitions

DEFAULT_STEP_SECONDS = 5.0  # how long a new step lasts (narration may lengthen it)


def default_languages() -> list[str]:
    return ["en"]


class Project(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # Ordered BCP 47 codes; the first is the default audio and subtitle language of its videos.
    languages = models.JSONField(default=default_languages)
    # How its videos look (contentizer.brand): caption style, logo, card colours, intro and outro;
    # {} is the default look.
    brand = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="project_owner_created")]

    def __str__(self) -> str:
        return self.title


class Chapter(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField(max_length=200)
    position = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(fields=["project", "position"], name="chapter_unique_position")
        ]

    def __str__(self) -> str:
        return self.title


class Step(models.Model):
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="steps")
    position = models.IntegerField()
    # One text per language, like narration: {"en": "Save", "de": "Speichern"}. A plain string
    # assigned here means the project's first language (save() turns it into that object).
    caption = models.JSONField(default=dict, blank=True)
    # {"en": "Click Save.", "de": "Klicken Sie auf Speichern."}
    narration = models.JSONField(default=dict, blank=True)
    # Which texts machine translation filled and the author has not edited or approved since:
    # {"caption": ["de"], "narration": ["de", "pt"]}.
    machine_translated = models.JSONField(default=dict, blank=True)
    # The project's link to a blob; a step may only point at an asset of its own project.
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.RESTRICT, related_name="steps"
    )
    duration = models.FloatField(
        default=DEFAULT_STEP_SECONDS, validators=[MinValueValidator(0.1), MaxValueValidator(3600)]
    )
    transition = models.CharField(
        max_length=16, choices=transitions.choices(), default=transitions.DEFAULT,
        help_text="into the next step; `fade` is accepted as the old name of `fadeblack`",
    )
    transition_duration = models.FloatField(
        default=transitions.DEFAULT_SECONDS, validators=[MinValueValidator(0.0), MaxValueValidator(5.0)]
    )
    # Emphasis on the picture (contentizer.effects): {"focus": {"x": .., "y": .., "w": .., "h": ..},
    # "highlight": true, "zoom": true, "blur": [...], "click": {"x": .., "y": ..}}; {} for none.
    effects = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["chapter", "position"]
        constraints = [
            models.UniqueConstraint(fields=["chapter", "position"], name="step_unique_position"),
            models.CheckConstraint(condition=models.Q(duration__gt=0), name="step_duration_positive"),
        ]

    def __str__(self) -> str:
        return f"Step {self.position + 1} of {self.chapter}"

    def save(self, *args, **kwargs) -> None:
        if isinstance(self.caption, str):
            self.caption = caption_object(self.caption, self.chapter.project.languages)
        super().save(*args, **kwargs)

    def caption_in(self, language: str) -> str:
        return (self.caption or {}).get(language, "") if isinstance(self.caption, dict) else ""

    def narration_in(self, language: str) -> str:
        return (self.narration or {}).get(language, "")

    @property
    def recordings_by_language(self) -> dict[str, StepRecording]:
        return {r.language: r for r in self.recordings.all()}

    def is_machine_translated(self, field: str, language: str) -> bool:
        return language in (self.machine_translated or {}).get(field, [])

    def mark_machine_translated(self, field: str, language: str) -> None:
        marks = dict(self.machine_translated or {})
        if language not in marks.get(field, []):
            marks[field] = [*marks.get(field, []), language]
        self.machine_translated = marks

    def clear_machine_translated(self, field: str, language: str) -> None:
        marks = {f: [lang for lang in langs if not (f == field and lang == language)]
                 for f, langs in (self.machine_translated or {}).items()}
        self.machine_translated = {f: langs for f, langs in marks.items() if langs}


class RecordingStatus(models.TextChoices):
    TRANSCRIBING = "transcribing", "Transcribing"
    READY = "ready", "Ready"
    REFUSED = "refused", "Refused"


class StepRecording(models.Model):
    """The author's own voice for one step in one language: the step's narration audio there,
    said instead of synthetic speech. A row of its own (not a JSON map of asset ids) so the asset
    is held like a step's picture: it cannot be unlinked while a step speaks with it."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="recordings")
    language = models.CharField(max_length=35)
    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.RESTRICT, related_name="narration_recordings"
    )
    status = models.CharField(max_length=16, choices=RecordingStatus.choices, default=RecordingStatus.TRANSCRIBING)
    # what recognition heard; while the narration text still equals it, a new recording's
    # transcript may replace it (the author has not edited it)
    transcript = models.TextField(blank=True, default="")
    problem = models.TextField(blank=True, default="", help_text="why the recording is refused")
    job = models.ForeignKey("contentizer.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["step", "language"]
        constraints = [
            models.UniqueConstraint(fields=["step", "language"], name="step_recording_unique_language")
        ]

    def __str__(self) -> str:
        return f"{self.step} recorded in {self.language}"

    @property
    def speaks(self) -> bool:
        """Whether renders say this recording (a refused one, silent or unreadable, is not said)."""
        return self.status != RecordingStatus.REFUSED


def caption_object(text: str, languages: list[str]) -> dict[str, str]:
    """A caption given as one string: the text of the project's first language."""
    return {languages[0]: text} if text else {}


class StoredObject(models.Model):
    """What was published under a storage key, complete: its size and sha256. An object whose
    stored size differs from this record is never trusted (contentizer.storage)."""

    key = models.CharField(max_length=255, primary_key=True)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True, default="")
    published_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} ({self.size} bytes)"


from contentizer.jobs.models import (  # noqa: E402, F401
    AttemptOutcome,
    Job,
    JobAttempt,
    JobSlot,
    JobStatus,
    StageRun,
    StageStatus,
)
