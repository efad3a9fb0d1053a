"""Videos made before their title was recorded take their chapter's title as it is now: the
closest to what they were made with that is still known."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    Video = apps.get_model("previews", "Video")
    Chapter = apps.get_model("contentizer", "Chapter")
    Video.objects.filter(title="").update(
        title=Subquery(Chapter.objects.filter(pk=OuterRef("chapter_id")).values("title")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("previews", "0009_video_title"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
