"""Reading assets back: metadata, content with Range, listing, owner isolation."""

from __future__ import annotations

import pytest

from tests import media
from tests.conftest import upload_file


@pytest.fixture
def png(alice_api, alice_project) -> tuple[dict, bytes]:
    content = media.image_bytes("PNG", size=(300, 200))
    return upload_file(alice_api, alice_project.id, "shot.png", content).json(), content


def _get(client, asset_id: int, **headers):
    response = client.get(f"/api/assets/{asset_id}/content", headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_it_serves_the_whole_file(alice_api, png):
    asset, content = png
    response, body = _get(alice_api, asset["id"])
    assert response.status_code == 200 and body == content
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "image/png"
    assert int(response["Content-Length"]) == len(content)


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-0", 0, 0), ("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-500", -500, None),
     ("bytes=-999999", 0, None), ("bytes=10-999999", 10, None)],
)
def test_it_answers_ranges_with_206_slices(alice_api, png, header, first, last):
    asset, content = png
    response, body = _get(alice_api, asset["id"], Range=header)
    expected = content[first:] if last is None else content[first:last + 1]
    assert response.status_code == 206 and body == expected
    start = len(content) + first if first < 0 else first
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(content)}"


@pytest.mark.parametrize("header", ["bytes=999999-", "bytes=-0"])
def test_it_answers_416_for_unsatisfiable_ranges(alice_api, png, header):
    asset, content = png
    response, _ = _get(alice_api, asset["id"], Range=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(content)}"


@pytest.mark.parametrize("header", ["bytes=abc", "items=0-5", "bytes=5-1", "bytes=0-1,4-5"])
def test_it_ignores_malformed_ranges(alice_api, png, header):
    asset, content = png
    response, body = _get(alice_api, asset["id"], Range=header)
    assert response.status_code == 200 and body == content


def test_it_reads_asset_metadata(alice_api, png):
    asset, content = png
    body = alice_api.get(f"/api/assets/{asset['id']}").json()
    assert (body["width"], body["height"], body["size"]) == (300, 200, len(content))
    assert body["thumbnailUrl"] == f"/api/assets/{asset['id']}/thumbnail"


def test_it_lists_a_projects_assets_filtered_by_kind(alice_api, alice_project, av_dir, png):
    upload_file(alice_api, alice_project.id, "tone.wav", (av_dir / "tone.wav").read_bytes())
    everything = alice_api.get(f"/api/projects/{alice_project.id}/assets").json()
    audio = alice_api.get(f"/api/projects/{alice_project.id}/assets?kind=audio").json()
    assert everything["count"] == 2
    assert [a["originalName"] for a in audio["results"]] == ["tone.wav"]
    bad = alice_api.get(f"/api/projects/{alice_project.id}/assets?kind=pdf")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("suffix", ["", "/content", "/thumbnail"])
def test_it_404s_another_users_asset(bob_api, png, suffix):
    asset, _ = png
    response = bob_api.get(f"/api/assets/{asset['id']}{suffix}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_404s_listing_and_uploading_to_another_users_project(bob_api, alice_project, png):
    assert bob_api.get(f"/api/projects/{alice_project.id}/assets").status_code == 404
    response = upload_file(bob_api, alice_project.id, "x.png", media.image_bytes("PNG", color=(9, 9, 9)))
    assert response.status_code == 404


def test_it_404s_unlinking_another_users_asset(bob_api, alice_project, png):
    asset, _ = png
    assert bob_api.delete(f"/api/projects/{alice_project.id}/assets/{asset['id']}").status_code == 404
    assert bob_api.delete(f"/api/projects/{alice_project.id + 99}/assets/{asset['id']}").status_code == 404


def test_it_unlinks_but_keeps_the_blob_for_other_links(alice_api, bob_api, alice_project, bob_project, png):
    asset, content = png
    bobs = upload_file(bob_api, bob_project.id, "mine.png", content).json()
    assert alice_api.delete(f"/api/projects/{alice_project.id}/assets/{asset['id']}").status_code == 204
    assert alice_api.get(f"/api/assets/{asset['id']}").status_code == 404
    response, body = _get(bob_api, bobs["id"])
    assert response.status_code == 200 and body == content


def test_it_requires_authentication(client, png):
    asset, _ = png
    response = client.get(f"/api/assets/{asset['id']}/content")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_ignores_a_range_with_an_absurdly_long_number(alice_api, png):
    asset, content = png
    response, body = _get(alice_api, asset["id"], Range="bytes=0-" + "9" * 5000)
    assert response.status_code == 200 and body == content
