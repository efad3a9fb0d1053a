"""`manage.py qcluster`: django-q2's command, with the cluster of contentizer.jobs.cluster.

It takes the place of django-q2's own (the app `contentizer` comes before `django_q` in
INSTALLED_APPS, as staticfiles' `runserver` takes the place of Django's), so every way of
starting a worker gets a stop that ends within seconds and gives running jobs back to the queue.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import CommandError
from django_q.management.commands import qcluster

from contentizer.jobs.cluster import Cluster


class Command(qcluster.Command):
    help = (
        "Starts a django-q2 cluster (the workers). SIGTERM or SIGINT, to this process or its whole "
        "process group, stops it within seconds: running jobs are stopped and queued again."
    )

    def handle(self, *args, **options) -> None:
        settings.SECRET_KEY  # noqa: B018 - django-q2 signs tasks with it: fail before starting without one
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        cluster = Cluster()
        if options.get("run_once"):
            cluster.start()
            cluster.stop()
            return
        if code := cluster.run():
            raise CommandError(f"The cluster's sentinel exited with code {code}.")
