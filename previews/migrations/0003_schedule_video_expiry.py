from django.db import migrations

NAME = "videos: expire superseded renders and unused pieces"


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME, defaults={"func": "previews.tasks.expire_videos", "schedule_type": "D", "repeats": -1},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("previews", "0002_videos")]

    operations = [migrations.RunPython(schedule, unschedule)]
