from django.db import migrations

NAME = "exports: expire uploaded import zips"


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME, defaults={"func": "exports.tasks.expire_imports", "schedule_type": "H", "repeats": -1},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("exports", "0001_schedule_expiry")]

    operations = [migrations.RunPython(schedule, unschedule)]
