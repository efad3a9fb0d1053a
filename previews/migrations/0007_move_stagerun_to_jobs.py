"""StageRun moves to the job framework (contentizer.jobs): its table is renamed, its rows kept."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('previews', '0006_video_steps_share'),
        ('contentizer', '0003_schedule_reconciler'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name='stagerun', table='contentizer_stagerun'),
            ],
            state_operations=[
                migrations.DeleteModel(name='StageRun'),
            ],
        ),
    ]
