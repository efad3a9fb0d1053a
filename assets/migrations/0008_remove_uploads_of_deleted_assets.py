"""Uploads whose asset was deleted before 0007 lost their link (SET_NULL) and were counted as
unfinished until they expired, locking their owner out of new uploads: they go now. (An upload
whose finishing request died looks the same; before this release it could not be finished
either, and the expiry sweep removes its file.)"""

from django.db import migrations
from django.db.models import F


def remove_orphaned(apps, schema_editor) -> None:
    Upload = apps.get_model("assets", "Upload")
    Upload.objects.filter(asset__isnull=True, offset__gte=F("length")).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("assets", "0007_upload_ends_with_its_asset"),
    ]

    operations = [
        migrations.RunPython(remove_orphaned, migrations.RunPython.noop),
    ]
