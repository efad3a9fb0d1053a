"""The ASGI application `./bin/start` serves (gunicorn with uvicorn workers): event streams
and long downloads wait on the event loop instead of holding a worker thread each, and the
synchronous views run on a pool of WEB_THREADS threads (contentizer.http.pooled)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contentizer.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402 - after Django is set up

from contentizer.http.limits import BodyLimit  # noqa: E402
from contentizer.http.pooled import PooledASGIHandler  # noqa: E402

application = BodyLimit(PooledASGIHandler(threads=settings.WEB_THREADS))
