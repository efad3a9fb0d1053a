"""Each language of a video has its own picture (issue 18.2). Videos made before keep an empty
`pictures` and are read as one picture for every language (`Video.picture`), so they play as
they always did: no backfill."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("previews", "0011_uploaded_voices"),
    ]

    operations = [
        migrations.AddField(
            model_name="video",
            name="pictures",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
