"""Create the demo user and a demo project (idempotent: run it as often as you like)."""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

from assets.services import asset_ingest
from contentizer import services
from contentizer.models import Project

logger = logging.getLogger(__name__)

DEMO_TITLE = "Getting started with Contentizer"
SLIDES = [
    ("Welcome", (31, 45, 61), {"en": "Welcome to Contentizer.", "de": "Willkommen bei Contentizer."},
     {"en": "Welcome to Contentizer.", "de": "Willkommen bei Contentizer."}),
    ("Upload assets", (0, 110, 120),
     {"en": "Upload images, audio and video.", "de": "Bilder, Ton und Videos hochladen."},
     {"en": "Upload your images, audio and video.", "de": "Laden Sie Bilder, Ton und Videos hoch."}),
    ("Write steps", (140, 60, 30), {"en": "Write steps with captions.", "de": "Schritte mit Bildtext schreiben."},
     {"en": "Write each step with a caption and narration.",
      "de": "Schreiben Sie jeden Schritt mit Untertitel und Sprechtext."}),
]


def _slide(title: str, colour: tuple[int, int, int]) -> TemporaryUploadedFile:
    image = Image.new("RGB", (1280, 720), colour)
    ImageDraw.Draw(image).text((80, 320), title, fill=(255, 255, 255), font_size=72)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    upload = TemporaryUploadedFile(f"{title.lower().replace(' ', '-')}.png", "image/png", buffer.tell(), None)
    upload.write(buffer.getvalue())
    upload.flush()
    return upload


class Command(BaseCommand):
    help = "Create the demo user (DEMO_USERNAME/DEMO_PASSWORD) and a demo project with assets."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=settings.DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save()
        if Project.objects.filter(owner=user, title=DEMO_TITLE).exists():
            self.stdout.write("Demo project already present.")
            return
        project = services.project_create(owner=user, title=DEMO_TITLE, description="A tour of the basics.",
                                          languages=["en", "de"])
        intro = services.chapter_create(project=project, title="Introduction")
        services.chapter_create(project=project, title="Next steps")
        for title, colour, caption, narration in SLIDES:
            asset = asset_ingest(project=project, upload=_slide(title, colour)).asset
            services.step_create(
                chapter=intro, caption=caption, narration=narration, asset=asset,
                duration=4.0, transition="dissolve",
            )
        self.stdout.write(f"Demo project {project.pk} created for user {user.username}.")
