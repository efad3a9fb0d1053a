"""A step's caption holds one text per language, like its narration: each existing caption text
becomes the text of its project's first language (an empty caption becomes no text at all)."""

from django.db import migrations, models


def captions_to_first_language(apps, schema_editor):
    Step = apps.get_model("contentizer", "Step")
    for step in Step.objects.select_related("chapter__project").only(
            "id", "caption", "chapter__project__languages").iterator(chunk_size=500):
        languages = step.chapter.project.languages or ["en"]
        Step.objects.filter(pk=step.pk).update(caption_text={languages[0]: step.caption} if step.caption else {})


def captions_to_text(apps, schema_editor):
    Step = apps.get_model("contentizer", "Step")
    for step in Step.objects.select_related("chapter__project").only(
            "id", "caption_text", "chapter__project__languages").iterator(chunk_size=500):
        languages = step.chapter.project.languages or ["en"]
        texts = step.caption_text or {}
        Step.objects.filter(pk=step.pk).update(caption=texts.get(languages[0]) or next(iter(texts.values()), ""))


class Migration(migrations.Migration):
    dependencies = [("contentizer", "0009_cache_table")]

    operations = [
        migrations.AddField("step", "caption_text", models.JSONField(default=dict, blank=True)),
        migrations.RunPython(captions_to_first_language, captions_to_text),
        migrations.RemoveField("step", "caption"),
        migrations.RenameField("step", "caption_text", "caption"),
        migrations.AddField("step", "machine_translated", models.JSONField(default=dict, blank=True)),
    ]
