"""Full videos (the finished render of a chapter) and the rendered pieces cached by content."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Video(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    project = models.ForeignKey("contentizer.Project", on_delete=models.CASCADE, related_name="videos")
    chapter = models.ForeignKey("contentizer.Chapter", on_delete=models.CASCADE, related_name="videos")
    job = models.OneToOneField("contentizer.Job", on_delete=models.PROTECT, related_name="video")
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
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True, help_text="a newer render of the chapter exists")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"video {self.id} of {self.chapter_id}"


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
