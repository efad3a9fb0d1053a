from django.apps import AppConfig


class ContentizerConfig(AppConfig):
    name = "contentizer"
    verbose_name = "Contentizer"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from contentizer.jobs import stopping, watch
        from contentizer.media import checks  # noqa: F401 - registers the FFmpeg check

        # Sent inside each django-q2 worker process as it starts (qcluster only).
        post_spawn.connect(stopping.install, dispatch_uid="contentizer.jobs.stopping")
        post_spawn.connect(watch.start, dispatch_uid="contentizer.jobs.watch")
