"""drf-spectacular hooks."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def media(*media_types: str, description: str, statuses: tuple[int, ...] = (200,)) -> dict:
    """Responses of raw bytes under the media types they really have (not the JSON of the API's
    renderer), so a generated client reads bytes and does not try to parse them."""
    body = OpenApiResponse(OpenApiTypes.BINARY, description=description)
    return {(status, media_type): body for status in statuses for media_type in media_types}


def drop_slash_aliases(endpoints: list, **kwargs) -> list:
    """Routes answer with and without a trailing slash; document each operation once."""
    paths = {path for path, *_ in endpoints}
    return [
        (path, regex, method, view)
        for path, regex, method, view in endpoints
        if not (path.endswith("/") and path.rstrip("/") in paths)
    ]


def camel(name: str) -> str:
    """`project_id` → `projectId`: the one naming convention of the wire."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camelize_path_parameters(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Path parameters are named camelCase, like every other name a client sees. The URL itself is
    unchanged ({project_id} and {projectId} template the same URL); only the documented name is,
    so the views keep their Python keyword arguments."""
    renamed = {}
    for path, item in result.get("paths", {}).items():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "path":
                    parameter["name"] = camel(parameter["name"])
        renamed[_PLACEHOLDER.sub(lambda m: "{" + camel(m.group(1)) + "}", path)] = item
    result["paths"] = renamed
    return result


ERROR_COMPONENT = "ErrorResponse"
_ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "description": 'The one error format: {"error": {"code", "message", "details"}}.',
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"],
        "properties": {
            "code": {"type": "string", "description": "Stable; a client can branch on it."},
            "message": {"type": "string", "description": "What happened and what to do, for a person."},
            "details": {"type": "object", "additionalProperties": {},
                        "description": "Facts about the refusal; `fields` names each invalid field."},
        },
    }},
}


_COMMON_ERRORS = {
    "400": "Invalid request: `details.fields` names every problem at once, under its wire name",
    "401": "No credentials, or a wrong or revoked token",
    "404": "Not found among yours",
}


def _common_errors(path: str, operation: dict[str, Any]) -> list[str]:
    """The errors any operation of its shape can answer: a body can be invalid, credentials can be
    missing, and an id in the path can name nothing of yours."""
    codes = ["400"] if "requestBody" in operation else []
    if operation.get("security") and {} not in operation["security"]:
        codes.append("401")
    if "{" in path:
        codes.append("404")
    return codes


def type_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Every 4xx and 5xx answers the one error format: say so, and list the common ones, so a
    generated client reads error bodies instead of dropping them (HEAD answers have no body)."""
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or method == "head":
                continue
            responses = operation.setdefault("responses", {})
            for code in _common_errors(path, operation):
                responses.setdefault(code, {"description": _COMMON_ERRORS[code]})
            for code, response in responses.items():
                if str(code)[0] in "45" and "content" not in response:
                    response["content"] = {"application/json": {
                        "schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _ERROR_SCHEMA
    return result
