"""Projects, chapters and steps through HTTP: CRUD, order, ownership, auth and the error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from assets.models import Asset
from contentizer.models import Chapter, Project, Step
from tests import media
from tests.conftest import upload_file

JSON = {"format": "json"}


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape, exactly: returns its `details`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["details"]


def assert_invalid(response, field: str) -> None:
    assert field in assert_error(response, 400, "validation_error")["fields"]


def chapter(api: APIClient, project_id: int, title: str = "Intro") -> dict:
    response = api.post(f"/api/projects/{project_id}/chapters", {"title": title}, **JSON)
    assert response.status_code == 201, response.json()
    return response.json()


def step(api: APIClient, chapter_id: int, **fields) -> dict:
    response = api.post(f"/api/chapters/{chapter_id}/steps", {"caption": "A step", **fields}, **JSON)
    assert response.status_code == 201, response.json()
    return response.json()


def page(api: APIClient, url: str) -> dict:
    response = api.get(url)
    assert response.status_code == 200, response.json()
    return response.json()


def listed(api: APIClient, url: str) -> list[dict]:
    return page(api, url)["results"]


def ids(api: APIClient, url: str) -> list[int]:
    return [item["id"] for item in listed(api, url)]


def asset_id(api: APIClient, project_id: int) -> int:
    response = upload_file(api, project_id, "a.png", media.image_bytes("PNG"))
    assert response.status_code == 201, response.json()
    return response.json()["id"]


@pytest.fixture
def alice_chapter(alice_api, alice_project) -> dict:
    return chapter(alice_api, alice_project.id)


@pytest.fixture
def alice_step(alice_api, alice_chapter) -> dict:
    return step(alice_api, alice_chapter["id"])


# Projects
def test_it_creates_a_project(alice_api, alice):
    response = alice_api.post("/api/projects", {"title": "Onboarding", "description": "How to"}, **JSON)
    assert response.status_code == 201
    body = response.json()
    assert body | {"title": "Onboarding", "description": "How to", "chapterCount": 0} == body
    assert Project.objects.get(pk=body["id"]).owner == alice


def test_it_lists_your_projects(alice_api, alice_project):
    body = page(alice_api, "/api/projects")
    assert (body["count"], body["next"]) == (1, None)
    assert body["results"] == [page(alice_api, f"/api/projects/{alice_project.id}")]


def test_it_leaves_another_users_projects_out_of_the_list(bob_api, alice_project, bob_project):
    assert ids(bob_api, "/api/projects") == [bob_project.id]


def test_it_reads_a_project(alice_api, alice_project, alice_chapter):
    response = alice_api.get(f"/api/projects/{alice_project.id}")
    assert response.status_code == 200
    body = response.json()
    assert body | {"id": alice_project.id, "title": "Alice's tutorial", "chapterCount": 1} == body


def test_it_updates_a_project(alice_api, alice_project):
    response = alice_api.patch(f"/api/projects/{alice_project.id}", {"title": "Renamed"}, **JSON)
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert alice_api.get(f"/api/projects/{alice_project.id}").json()["title"] == "Renamed"


def test_it_deletes_a_project(alice_api, alice_project, alice_step):
    response = alice_api.delete(f"/api/projects/{alice_project.id}")
    assert response.status_code == 204 and response.content == b""
    assert_error(alice_api.get(f"/api/projects/{alice_project.id}"), 404, "not_found")
    assert not Chapter.objects.exists() and not Step.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/api/projects", "/api/projects/{pid}", "/api/projects/{pid}/chapters", "/api/chapters/{cid}",
     "/api/chapters/{cid}/steps", "/api/steps/{sid}"],
)
def test_it_answers_with_or_without_a_trailing_slash(alice_api, alice_project, alice_chapter, alice_step, url):
    url = url.format(pid=alice_project.id, cid=alice_chapter["id"], sid=alice_step["id"])
    bare, slashed = alice_api.get(url), alice_api.get(url + "/")
    assert (bare.status_code, slashed.status_code) == (200, 200)
    assert slashed.json() == bare.json()


def test_it_accepts_a_post_with_a_trailing_slash(alice_api, alice_project):
    response = alice_api.post(f"/api/projects/{alice_project.id}/chapters/", {"title": "Slashed"}, **JSON)
    assert response.status_code == 201
    assert response.json()["title"] == "Slashed"


# Pagination
def test_it_paginates_a_list(alice_api, alice):
    Project.objects.bulk_create(Project(owner=alice, title=f"P{n}") for n in range(3))
    first = page(alice_api, "/api/projects?pageSize=2")
    assert (first["count"], len(first["results"])) == (3, 2)
    assert "page=2" in first["next"]
    second = page(alice_api, first["next"])
    assert (len(second["results"]), second["next"]) == (1, None)


def test_it_caps_the_page_size_at_100(alice_api, alice):
    Project.objects.bulk_create(Project(owner=alice, title=f"P{n}") for n in range(101))
    body = page(alice_api, "/api/projects?pageSize=500")
    assert (body["count"], len(body["results"])) == (101, 100)
    assert body["next"] is not None


# Chapters
def test_it_adds_chapters_at_the_end(alice_api, alice_project):
    first, second = chapter(alice_api, alice_project.id, "One"), chapter(alice_api, alice_project.id, "Two")
    assert first | {"project": alice_project.id, "title": "One", "position": 0, "stepCount": 0} == first
    assert (second["title"], second["position"]) == ("Two", 1)


def test_it_lists_chapters_in_order(alice_api, alice_project):
    made = [chapter(alice_api, alice_project.id, title)["id"] for title in ("One", "Two", "Three")]
    assert ids(alice_api, f"/api/projects/{alice_project.id}/chapters") == made


def test_it_reads_a_chapter(alice_api, alice_chapter, alice_step):
    response = alice_api.get(f"/api/chapters/{alice_chapter['id']}")
    assert response.status_code == 200
    assert response.json() == alice_chapter | {"stepCount": 1, "updatedAt": response.json()["updatedAt"]}


def test_it_updates_a_chapter(alice_api, alice_chapter):
    response = alice_api.patch(f"/api/chapters/{alice_chapter['id']}", {"title": "Setup"}, **JSON)
    assert response.status_code == 200
    assert response.json() | {"title": "Setup", "position": 0} == response.json()
    assert Chapter.objects.get(pk=alice_chapter["id"]).title == "Setup"


def test_it_deletes_a_chapter_with_its_steps_and_closes_the_gap(alice_api, alice_project):
    one, two, three = (chapter(alice_api, alice_project.id, t)["id"] for t in ("One", "Two", "Three"))
    step(alice_api, two)
    response = alice_api.delete(f"/api/chapters/{two}")
    assert response.status_code == 204
    chapters = listed(alice_api, f"/api/projects/{alice_project.id}/chapters")
    assert [(c["id"], c["position"]) for c in chapters] == [(one, 0), (three, 1)]
    assert not Step.objects.exists()


# Steps
def test_it_creates_a_step_with_defaults(alice_api, alice_chapter):
    body = step(alice_api, alice_chapter["id"], narration={"en": "Click Save.", "pt-BR": "Clique."})
    expected = {
        "chapter": alice_chapter["id"], "position": 0, "caption": {"en": "A step"}, "asset": None, "duration": 5.0,
        "transition": "crossfade", "transitionDuration": 0.5, "narration": {"en": "Click Save.", "pt-BR": "Clique."},
    }
    assert body | expected == body


def test_it_lists_steps_in_order(alice_api, alice_chapter):
    made = [step(alice_api, alice_chapter["id"])["id"] for _ in range(3)]
    steps = listed(alice_api, f"/api/chapters/{alice_chapter['id']}/steps")
    assert [(s["id"], s["position"]) for s in steps] == list(zip(made, range(3), strict=True))


def test_it_reads_a_step(alice_api, alice_step):
    response = alice_api.get(f"/api/steps/{alice_step['id']}")
    assert response.status_code == 200
    assert response.json() == alice_step


def test_it_updates_a_step(alice_api, alice_step):
    changes = {"duration": 8, "transition": "wipeleft", "transitionDuration": 1.5, "narration": {"de": "Hallo."}}
    response = alice_api.patch(f"/api/steps/{alice_step['id']}", changes, **JSON)
    assert response.status_code == 200
    assert response.json() | changes == response.json()
    assert Step.objects.get(pk=alice_step["id"]).narration == {"de": "Hallo."}


def test_it_accepts_fade_as_the_old_name_of_fadeblack(alice_api, alice_step):
    response = alice_api.patch(f"/api/steps/{alice_step['id']}", {"transition": "fade"}, **JSON)
    assert response.status_code == 200 and response.json()["transition"] == "fadeblack"
    assert Step.objects.get(pk=alice_step["id"]).transition == "fadeblack"


def test_it_deletes_a_step(alice_api, alice_step):
    assert alice_api.delete(f"/api/steps/{alice_step['id']}").status_code == 204
    assert_error(alice_api.get(f"/api/steps/{alice_step['id']}"), 404, "not_found")


def test_it_keeps_step_positions_contiguous_after_deleting_a_middle_one(alice_api, alice_chapter):
    made = [step(alice_api, alice_chapter["id"])["id"] for _ in range(4)]
    assert alice_api.delete(f"/api/steps/{made[1]}").status_code == 204
    steps = listed(alice_api, f"/api/chapters/{alice_chapter['id']}/steps")
    assert [(s["id"], s["position"]) for s in steps] == [(made[0], 0), (made[2], 1), (made[3], 2)]


def test_it_links_a_step_to_an_asset_of_its_project(alice_api, alice_project, alice_chapter):
    aid = asset_id(alice_api, alice_project.id)
    assert step(alice_api, alice_chapter["id"], asset=aid)["asset"] == aid


def test_it_refuses_an_asset_of_another_project(alice_api, alice, alice_chapter):
    aid = asset_id(alice_api, Project.objects.create(owner=alice, title="Other").id)
    response = alice_api.post(f"/api/chapters/{alice_chapter['id']}/steps", {"asset": aid}, **JSON)
    assert_invalid(response, "asset")


def test_it_refuses_to_update_a_step_to_an_asset_of_another_project(alice_api, alice, alice_step):
    aid = asset_id(alice_api, Project.objects.create(owner=alice, title="Other").id)
    assert_invalid(alice_api.patch(f"/api/steps/{alice_step['id']}", {"asset": aid}, **JSON), "asset")
    assert Step.objects.get(pk=alice_step["id"]).asset_id is None


# Reorder
def test_it_reorders_chapters(alice_api, alice_project):
    made = [chapter(alice_api, alice_project.id, t)["id"] for t in ("One", "Two", "Three")]
    new = [made[2], made[0], made[1]]
    response = alice_api.post(f"/api/projects/{alice_project.id}/chapters/reorder", {"order": new}, **JSON)
    assert response.status_code == 204 and response.content == b""
    assert ids(alice_api, f"/api/projects/{alice_project.id}/chapters") == new


def test_it_reorders_steps(alice_api, alice_chapter):
    made = [step(alice_api, alice_chapter["id"])["id"] for _ in range(3)]
    new = list(reversed(made))
    response = alice_api.post(f"/api/chapters/{alice_chapter['id']}/steps/reorder", {"order": new}, **JSON)
    assert response.status_code == 204
    assert ids(alice_api, f"/api/chapters/{alice_chapter['id']}/steps") == new


BAD_ORDERS = {
    "missing": lambda a, b, foreign: [b],
    "repeated": lambda a, b, foreign: [b, a, a],
    "foreign": lambda a, b, foreign: [b, foreign],
}


@pytest.mark.parametrize("case", BAD_ORDERS)
def test_it_refuses_a_chapter_order_that_is_not_a_permutation(alice_api, alice_project, bob_api, bob_project, case):
    a, b = (chapter(alice_api, alice_project.id, t)["id"] for t in ("One", "Two"))
    order = BAD_ORDERS[case](a, b, chapter(bob_api, bob_project.id)["id"])
    response = alice_api.post(f"/api/projects/{alice_project.id}/chapters/reorder", {"order": order}, **JSON)
    assert assert_error(response, 400, "invalid_order")["received"] == order
    assert ids(alice_api, f"/api/projects/{alice_project.id}/chapters") == [a, b]


@pytest.mark.parametrize("case", BAD_ORDERS)
def test_it_refuses_a_step_order_that_is_not_a_permutation(alice_api, alice_project, alice_chapter, case):
    a, b = (step(alice_api, alice_chapter["id"])["id"] for _ in range(2))
    foreign = step(alice_api, chapter(alice_api, alice_project.id, "Other")["id"])["id"]
    order = BAD_ORDERS[case](a, b, foreign)
    response = alice_api.post(f"/api/chapters/{alice_chapter['id']}/steps/reorder", {"order": order}, **JSON)
    assert assert_error(response, 400, "invalid_order")["expected"] == sorted([a, b])
    assert ids(alice_api, f"/api/chapters/{alice_chapter['id']}/steps") == [a, b]


# Owner isolation: another user's objects are indistinguishable from missing ones.
def foreign_call(api: APIClient, method: str, url: str):
    if method in ("get", "delete"):
        return getattr(api, method)(url)
    body = {"order": [1]} if url.endswith("reorder") else {"caption" if "/steps" in url else "title": "Mine now"}
    return getattr(api, method)(url, body, **JSON)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("patch", ""), ("delete", ""), ("get", "/chapters"), ("post", "/chapters"),
     ("post", "/chapters/reorder"), ("get", "/assets")],
)
def test_it_404s_another_users_project(bob_api, alice_project, alice_chapter, method, path):
    assert_error(foreign_call(bob_api, method, f"/api/projects/{alice_project.id}{path}"), 404, "not_found")
    project = Project.objects.get(pk=alice_project.id)
    assert (project.title, project.chapters.count()) == ("Alice's tutorial", 1)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("patch", ""), ("delete", ""), ("get", "/steps"), ("post", "/steps"), ("post", "/steps/reorder")],
)
def test_it_404s_another_users_chapter(bob_api, alice_chapter, alice_step, method, path):
    assert_error(foreign_call(bob_api, method, f"/api/chapters/{alice_chapter['id']}{path}"), 404, "not_found")
    chapter = Chapter.objects.get(pk=alice_chapter["id"])
    assert (chapter.title, chapter.steps.count()) == ("Intro", 1)


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_it_404s_another_users_step(bob_api, alice_step, method):
    assert_error(foreign_call(bob_api, method, f"/api/steps/{alice_step['id']}"), 404, "not_found")
    assert Step.objects.get(pk=alice_step["id"]).caption == {"en": "A step"}


# Authentication
def test_it_401s_a_request_without_a_token(alice_project):
    assert_error(response := APIClient().get("/api/projects"), 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_it_401s_a_wrong_token(alice_project):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get("/api/projects"), 401, "authentication_failed")


def test_it_401s_an_inactive_users_token(alice, alice_api):
    alice.is_active = False
    alice.save()
    assert_error(alice_api.get("/api/projects"), 401, "authentication_failed")


# Validation and the error shape
def test_it_names_the_invalid_field(alice_api):
    assert_invalid(alice_api.post("/api/projects", {"title": ""}, **JSON), "title")
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("url", "body"),
    [("/api/projects", {"title": "T"}), ("/api/projects/{pid}/chapters", {"title": "T"}),
     ("/api/chapters/{cid}/steps", {}), ("/api/projects/{pid}/chapters/reorder", {"order": [1]})],
)
def test_it_refuses_unknown_fields(alice_api, alice_project, alice_chapter, url, body):
    url = url.format(pid=alice_project.id, cid=alice_chapter["id"])
    response = alice_api.post(url, {**body, "colour": "red"}, **JSON)
    assert assert_error(response, 400, "validation_error")["fields"] == {"colour": ["Unknown field."]}


@pytest.mark.parametrize("language", ["english!", "EN", "e", "en_US", ""])
def test_it_refuses_a_malformed_narration_language(alice_api, alice_chapter, language):
    response = alice_api.post(f"/api/chapters/{alice_chapter['id']}/steps", {"narration": {language: "Hi"}}, **JSON)
    assert_invalid(response, "narration")


def test_it_refuses_a_narration_language_with_a_trailing_newline(alice_api, alice_chapter):
    response = alice_api.post(f"/api/chapters/{alice_chapter['id']}/steps", {"narration": {"en\n": "Hi"}}, **JSON)
    assert_invalid(response, "narration")


@pytest.mark.parametrize("duration", [0, -1])
def test_it_refuses_a_duration_that_is_not_positive(alice_api, alice_chapter, duration):
    response = alice_api.post(f"/api/chapters/{alice_chapter['id']}/steps", {"duration": duration}, **JSON)
    assert_invalid(response, "duration")
    assert not Step.objects.exists()


@pytest.mark.parametrize("transition_duration", [2, 3])
def test_it_refuses_a_transition_not_shorter_than_the_step(alice_api, alice_chapter, transition_duration):
    body = {"duration": 2, "transitionDuration": transition_duration}
    assert_invalid(alice_api.post(f"/api/chapters/{alice_chapter['id']}/steps", body, **JSON), "transitionDuration")


def test_it_refuses_shortening_a_step_below_its_transition(alice_api, alice_step):
    response = alice_api.patch(f"/api/steps/{alice_step['id']}", {"duration": 0.5}, **JSON)
    assert_invalid(response, "transitionDuration")
    assert Step.objects.get(pk=alice_step["id"]).duration == 5.0


def test_it_refuses_an_unknown_transition(alice_api, alice_chapter):
    response = alice_api.post(f"/api/chapters/{alice_chapter['id']}/steps", {"transition": "spin"}, **JSON)
    assert_invalid(response, "transition")


@pytest.mark.parametrize("url", ["/api/nope", "/api/projects/999999", "/api/projects/abc"])
def test_it_404s_unknown_api_urls_as_json(alice_api, url):
    response = alice_api.get(url)
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found")


# Assets used by steps
def test_it_deletes_a_project_whose_step_uses_an_asset(alice_api, alice_project, alice_chapter):
    step(alice_api, alice_chapter["id"], asset=asset_id(alice_api, alice_project.id))
    response = alice_api.delete(f"/api/projects/{alice_project.id}")
    assert response.status_code == 204 and response.content == b""
    assert [model.objects.count() for model in (Project, Chapter, Step, Asset)] == [0, 0, 0, 0]


def test_it_409s_unlinking_an_asset_a_step_uses(alice_api, alice_project, alice_chapter):
    aid = asset_id(alice_api, alice_project.id)
    sid = step(alice_api, alice_chapter["id"], asset=aid)["id"]
    response = alice_api.delete(f"/api/projects/{alice_project.id}/assets/{aid}")
    assert assert_error(response, 409, "asset_in_use")["steps"] == [sid]
    assert Asset.objects.filter(pk=aid).exists()
