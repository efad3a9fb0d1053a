"""One API contract: every operation typed, one naming convention (camelCase) on the wire, RFC 3339
timestamps in UTC with `Z`, and every problem of a request reported at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.generators import SchemaGenerator

from contentizer.api.errors import exception_handler
from tests import media
from tests.conftest import wait_for
from tests.previews.helpers import post_preview, upload

JSON = {"format": "json"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
# Maps keyed by data rather than by field name (language codes, per-format URLs, stage outputs).
FREE_FORM = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$|^\d+$")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "patch", "post", "delete", "head", "options"):
                yield f"{method.upper()} {path}", operation


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _untyped(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    """An object a generated client can give no type: no properties, no typed additionalProperties,
    not one of a set of typed schemas."""
    node = _resolve(schema, node)
    if node.get("type") == "array":
        return _untyped(schema, node.get("items", {}))
    if any(key in node for key in ("oneOf", "anyOf", "allOf")):
        return any(_untyped(schema, option) for key in ("oneOf", "anyOf", "allOf") for option in node.get(key, []))
    if node.get("type") not in (None, "object"):
        return False
    extra = node.get("additionalProperties")
    return not node.get("properties") and not (isinstance(extra, dict) and extra)


def _property_names(schema: dict[str, Any], node: Any, seen: set[str]) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                return names
            seen.add(ref)
        node = _resolve(schema, node) if "$ref" in node else node
        names.update(node.get("properties", {}))
        for key in ("properties",):
            for child in node.get(key, {}).values():
                names |= _property_names(schema, child, seen)
        for key in ("items", "additionalProperties"):
            names |= _property_names(schema, node.get(key), seen)
        for key in ("oneOf", "anyOf", "allOf"):
            for child in node.get(key, []):
                names |= _property_names(schema, child, seen)
    return names


def _bodies(operation: dict[str, Any]):
    for content in [operation.get("requestBody", {}).get("content", {})] + [
            response.get("content", {}) for response in operation.get("responses", {}).values()]:
        for media_type in content.values():
            yield media_type.get("schema", {})


def test_every_operation_answers_a_typed_body(schema):
    untyped = [
        f"{name} → {status}"
        for name, operation in _operations(schema)
        for status, response in operation["responses"].items()
        for media_type in response.get("content", {}).values()
        if _untyped(schema, media_type.get("schema", {}))
    ]
    assert untyped == []


def test_every_documented_error_answers_the_one_error_format(schema):
    shapes = {
        (status, str(media_type.get("schema")))
        for name, operation in _operations(schema) if not name.startswith("HEAD")
        for status, response in operation["responses"].items() if status[0] in "45"
        for media_type in response.get("content", {"none": {}}).values()
    }
    assert {shape for _, shape in shapes} == {"{'$ref': '#/components/schemas/ErrorResponse'}"}
    assert set(schema["components"]["schemas"]["ErrorResponse"]["properties"]["error"]["properties"]) == {
        "code", "message", "details"}


def test_no_name_in_a_request_or_response_body_is_snake_case(schema):
    snake = {
        f"{name}: {prop}"
        for name, operation in _operations(schema)
        for body in _bodies(operation)
        for prop in _property_names(schema, body, set())
        if "_" in prop
    }
    assert snake == set()


def test_no_query_or_path_parameter_is_snake_case(schema):
    snake = [f"{name}: {parameter['name']}" for name, operation in _operations(schema)
             for parameter in operation.get("parameters", []) if "_" in parameter["name"]]
    placeholders = [path for path in schema["paths"] if "_" in "".join(re.findall(r"\{(\w+)\}", path))]
    assert (snake, placeholders) == ([], [])


def _problems(body: Any, where: str = "") -> list[str]:
    """Snake_case keys, and timestamps not in RFC 3339 UTC with `Z`, anywhere in a JSON body."""
    found = []
    if isinstance(body, dict):
        for key, value in body.items():
            if "_" in key and not FREE_FORM.match(key):
                found.append(f"{where}.{key}")
            if key.endswith("At") and value is not None and not RFC3339_UTC.match(str(value)):
                found.append(f"{where}.{key}={value}")
            found += _problems(value, f"{where}.{key}")
    elif isinstance(body, list):
        for item in body:
            found += _problems(item, f"{where}[]")
    return found


@pytest.mark.django_db(transaction=True)
def test_real_responses_have_camel_case_keys_and_utc_timestamps(alice_api, alice_project, worker):
    image = upload(alice_api, alice_project.id, "slide.png", media.image_bytes("PNG", (640, 360)))
    chapter = alice_api.post(f"/api/projects/{alice_project.id}/chapters", {"title": "Intro"}, **JSON).json()
    step = alice_api.post(f"/api/chapters/{chapter['id']}/steps", {
        "caption": "Open", "asset": image["id"], "duration": 2, "transitionDuration": 0.3,
        "narration": {"en": "Open the menu."}}, **JSON).json()
    preview = post_preview(alice_api, alice_project.id, {"chapterId": chapter["id"]}, dryRun=True).json()
    wait_for(lambda: alice_api.get(f"/api/v1/jobs/{preview['jobId']}").json()["status"] == "succeeded", timeout=60)
    video = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"]},
                           **JSON).json()
    queued = alice_api.get(f"/api/videos/{video['videoId']}").json()
    wait_for(lambda: alice_api.get(f"/api/v1/jobs/{video['jobId']}").json()["status"] == "succeeded", timeout=180)
    bodies = {
        "queuedVideo": queued,
        "project": alice_api.get(f"/api/projects/{alice_project.id}").json(),
        "projects": alice_api.get("/api/projects").json(),
        "chapter": alice_api.get(f"/api/chapters/{chapter['id']}").json(),
        "step": alice_api.get(f"/api/steps/{step['id']}").json(),
        "asset": alice_api.get(f"/api/assets/{image['id']}").json(),
        "previewJob": alice_api.get(f"/api/v1/jobs/{preview['jobId']}").json(),
        "previewStatus": alice_api.get(f"/api/preview/{preview['jobId']}/status").json(),
        "video": alice_api.get(f"/api/videos/{video['videoId']}").json(),
        "videoJob": alice_api.get(f"/api/v1/jobs/{video['jobId']}").json(),
        "jobs": alice_api.get("/api/v1/jobs").json(),
    }
    assert {name: _problems(body) for name, body in bodies.items()} == {name: [] for name in bodies}
    assert bodies["step"]["transitionDuration"] == 0.3 and bodies["project"]["chapterCount"] == 1
    assert RFC3339_UTC.match(bodies["video"]["createdAt"]) and RFC3339_UTC.match(bodies["asset"]["createdAt"])
    assert bodies["video"]["urls"]["subtitles"]["en"]["vtt"] and bodies["video"]["renditions"]["audio"] == ["en"]


@pytest.mark.django_db
def test_it_reports_an_unknown_field_and_an_invalid_value_in_one_answer(alice_api, alice_project):
    chapter = alice_api.post(f"/api/projects/{alice_project.id}/chapters", {"title": "Intro"}, **JSON).json()
    response = alice_api.post(f"/api/chapters/{chapter['id']}/steps",
                              {"duration": -1, "transition_duration": 0.2, "colour": "red"}, **JSON)
    assert response.status_code == 400
    fields = response.json()["error"]["details"]["fields"]
    assert fields == {"duration": ["Ensure this value is greater than or equal to 0.1."],
                      "colour": ["Unknown field."], "transition_duration": ["Unknown field."]}


@pytest.mark.django_db
def test_it_reports_unknown_fields_with_a_rule_across_fields(alice_api, alice_project):
    chapter = alice_api.post(f"/api/projects/{alice_project.id}/chapters", {"title": "Intro"}, **JSON).json()
    response = alice_api.post(f"/api/chapters/{chapter['id']}/steps",
                              {"duration": 1, "transitionDuration": 2, "colour": "red"}, **JSON)
    assert response.json()["error"]["details"]["fields"] == {
        "transitionDuration": ["Must be shorter than the step's duration."], "colour": ["Unknown field."]}


@pytest.mark.django_db
def test_it_pages_with_page_size_in_camel_case(alice_api, alice):
    for title in ("A", "B", "C"):
        alice_api.post("/api/projects", {"title": title}, **JSON)
    assert len(alice_api.get("/api/projects?pageSize=2").json()["results"]) == 2
    assert len(alice_api.get("/api/projects?page_size=1").json()["results"]) == 1  # the old name, still read


def test_a_models_validation_error_names_fields_as_the_wire_does():
    error = DjangoValidationError({"transition_duration": ["Too long."], "__all__": ["Not like this."]})
    response = exception_handler(error, {})
    assert response.status_code == 400
    assert response.data["error"]["details"] == {
        "fields": {"transitionDuration": ["Too long."], "nonFieldErrors": ["Not like this."]}}
