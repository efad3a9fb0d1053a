from django.db import migrations

NAME = "assets: abandoned upload temporaries"


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={"func": "assets.tasks.sweep_uploads", "schedule_type": "I", "minutes": 5, "repeats": -1},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("assets", "0005_schedule_upload_expiry")]

    operations = [migrations.RunPython(schedule, unschedule)]
