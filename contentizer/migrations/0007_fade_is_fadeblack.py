"""Steps saved with the old name `fade` (a dip to black) now say `fadeblack`; `fade` stays
accepted on input as an alias."""

from django.db import migrations


def forwards(apps, schema_editor):
    apps.get_model("contentizer", "Step").objects.filter(transition="fade").update(transition="fadeblack")


def backwards(apps, schema_editor):
    apps.get_model("contentizer", "Step").objects.filter(transition="fadeblack").update(transition="fade")


class Migration(migrations.Migration):

    dependencies = [
        ('contentizer', '0006_step_transition_crossfade'),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
