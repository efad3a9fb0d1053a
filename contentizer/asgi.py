"""The ASGI application `./bin/start` serves (gunicorn with uvicorn workers): event streams
and long downloads wait on the event loop instead of holding a worker thread each."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contentizer.settings")
django_application = get_asgi_application()

from contentizer.http.limits import BodyLimit  # noqa: E402 - after Django is set up

application = BodyLimit(django_application)
