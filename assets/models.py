"""The content-addressed store: one Blob per distinct content, one Asset per project link."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    IMAGE = "image", "Image"
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"
    SUBTITLE = "subtitle", "Subtitle"


class Blob(models.Model):
    """Bytes stored once, named by their sha256; never changed after it is created."""

    sha256 = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    mime = models.CharField(max_length=100)
    ext = models.CharField(max_length=10)
    size = models.BigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="seconds")
    codecs = models.JSONField(default=list, blank=True)
    storage_key = models.CharField(max_length=255, unique=True)
    thumbnail_key = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # Moved forward each time a link is made, so orphan cleanup's grace period starts from the
    # latest upload that reused the blob, not from the first.
    last_linked_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}.{self.ext}"


class Asset(models.Model):
    """A project's link to a blob, with the file name the author gave it."""

    project = models.ForeignKey(
        "contentizer.Project", on_delete=models.CASCADE, related_name="assets"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="assets")
    original_name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "blob"], name="asset_unique_blob_per_project")
        ]

    def __str__(self) -> str:
        return self.original_name


class Upload(models.Model):
    """A resumable upload (tus 1.0) in progress, or finished and remembered until it expires.

    Its bytes wait in `FILE_UPLOAD_TEMP_DIR/tus/<id>`: the server names the file, never the
    client. `offset` counts the bytes durably written; a file longer than that (a request that
    died between writing and recording) is cut back to it before the next chunk.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    project = models.ForeignKey("contentizer.Project", on_delete=models.CASCADE, related_name="uploads")
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    filename = models.CharField(max_length=255, help_text="display name only, cleaned")
    metadata = models.CharField(max_length=4096, blank=True, default="", help_text="Upload-Metadata as sent")
    # deleting the asset ends its upload too: an upload without one is unfinished, and counts so
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    deduplicated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    # a PATCH holds this lease while it writes; a second writer at once is refused
    busy_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="upload_owner_created")]

    def __str__(self) -> str:
        return f"upload {self.id} ({self.offset}/{self.length})"

    @property
    def finished(self) -> bool:
        return self.offset >= self.length
