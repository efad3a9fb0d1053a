from django.apps import AppConfig
from django.conf import settings


class WebhooksConfig(AppConfig):
    name = "contentizer.webhooks"
    label = "webhooks"  # its own migrations, beside the core's
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from contentizer.jobs import events, registry
        from contentizer.webhooks import services

        registry.register(registry.JobKind(
            name=services.KIND, run=services.delivery_run, cleanup=services.delivery_cleanup,
            max_concurrency=lambda: settings.WEBHOOK_MAX_CONCURRENCY, listed=False,
            backoff=services.delivery_backoff, threaded=True,
        ))
        events.listen(services.events_record)
