"""StageRun joins the job framework. The table already exists (previews renamed it in its
0005 migration, keeping every row); only Django's idea of the model moves here."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contentizer', '0004_project_languages'),
        ('previews', '0007_move_stagerun_to_jobs'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='StageRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name='ID')),
                        ('attempt', models.PositiveIntegerField()),
                        ('stage', models.CharField(max_length=16)),
                        ('input_hash', models.CharField(max_length=64)),
                        ('status', models.CharField(choices=[
                            ('running', 'Running'), ('succeeded', 'Succeeded'),
                            ('reused', 'Reused (same inputs as an earlier run)'), ('failed', 'Failed'),
                            ('cancelled', 'Cancelled')], default='running', max_length=16)),
                        ('outputs', models.JSONField(blank=True, default=dict)),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('duration', models.FloatField(blank=True, null=True)),
                        ('error', models.TextField(blank=True, default='')),
                        ('log', models.TextField(blank=True, default='')),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                  related_name='stage_runs', to='contentizer.job')),
                    ],
                    options={
                        'ordering': ['job', 'attempt', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('job', 'attempt', 'stage'),
                                                                name='stagerun_unique_per_attempt')],
                    },
                ),
            ],
        ),
    ]
