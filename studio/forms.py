"""Studio forms validate through the API's serializers, so every rule (and its wording) lives once.

`ApiForm` wraps a serializer: the page posts plain form fields, the view turns them into the
API's input, and every error comes back flattened to a field name ("duration", "narration.de")
so the template can show it beside its field, all of them at once. Errors raised by services
(`ApplicationError`) land on the field their details name, or above the form.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rest_framework import serializers
from rest_framework.settings import api_settings

from contentizer.api.errors import http_status
from contentizer.errors import ApplicationError

logger = logging.getLogger(__name__)

NON_FIELD = "__all__"


def _flatten(errors: Any) -> dict[str, list[str]]:
    """DRF's nested errors as {"field.sub": [messages]}; a list item's errors go to the list."""
    flat: dict[str, list[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                key = str(key)
                nested = key in (api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD) or key.isdigit()
                walk(value, path if nested else (f"{path}.{key}" if path else key))
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item, path)
        else:
            flat.setdefault(path or NON_FIELD, []).append(str(node))

    walk(errors, "")
    return flat


class ApiForm:
    def __init__(self, serializer_class: type[serializers.Serializer], *, data: dict[str, Any] | None = None,
                 instance: Any = None, context: dict[str, Any] | None = None, partial: bool = False,
                 values: dict[str, Any] | None = None, labels: dict[str, str] | None = None) -> None:
        self.serializer = serializer_class(instance, data=data, context=context or {}, partial=partial)
        self.labels = labels or {}  # how the summary names a field whose API name a person would not read
        self.values = values or {}  # what the page shows back in its fields (the author's own text)
        self.errors: dict[str, list[str]] = {}
        self.status = 400

    def is_valid(self) -> bool:
        if not self.serializer.is_valid():
            self.errors = _flatten(self.serializer.errors)
        return not self.errors

    @property
    def validated_data(self) -> dict[str, Any]:
        return self.serializer.validated_data

    def add_api_error(self, exc: ApplicationError, *, field: str = NON_FIELD) -> None:
        """A service refused: put its message where it belongs (details.fields names fields, or
        details.field one field; otherwise `field`)."""
        details = exc.details if isinstance(exc.details, dict) else {}
        fields = details.get("fields")
        if isinstance(fields, dict) and fields:
            for name, messages in _flatten(fields).items():
                self.errors.setdefault(_field_name(name), []).extend(messages)
        elif isinstance(details.get("field"), str):  # one field named by the service (webhooks: "url")
            self.errors.setdefault(details["field"], []).append(exc.message)
        else:
            self.errors.setdefault(field, []).append(exc.message)
        self.status = http_status(exc)

    def error_list(self) -> list[tuple[str, str]]:
        """Every message with the field it belongs to, for a summary at the top of the form."""
        return [(self.labels.get(field, field), message) for field, messages in self.errors.items()
                for message in messages]


_STEP_FIELD = re.compile(r"^step \d+ \(id \d+\)\.")


def _field_name(name: str) -> str:
    # the timeline compiler names fields "step 2 (id 17).asset"; the form's field is "asset"
    return _STEP_FIELD.sub("", name)
