"""Uploads through HTTP: accepted media, metadata, thumbnails and deduplication."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import av
import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from assets.models import Asset, Blob
from tests import media
from tests.conftest import left_behind, stored_keys, upload_file


@pytest.mark.parametrize(
    ("fmt", "ext", "mime"),
    [("PNG", "png", "image/png"), ("JPEG", "jpg", "image/jpeg"), ("WEBP", "webp", "image/webp"),
     ("GIF", "gif", "image/gif")],
)
def test_it_stores_each_image_format_with_its_metadata(alice_api, alice_project, fmt, ext, mime):
    content = media.image_bytes(fmt, size=(800, 600))
    response = upload_file(alice_api, alice_project.id, f"picture.{ext}", content)
    assert response.status_code == 201, response.json()
    body = response.json()
    sha = hashlib.sha256(content).hexdigest()
    assert body | {"kind": "image", "mime": mime, "width": 800, "height": 600, "sha256": sha} == body
    assert body["size"] == len(content) and body["deduplicated"] is False
    key = f"assets/{sha[:2]}/{sha[2:4]}/{sha}.{ext}"
    assert key in left_behind()["media"]


@pytest.mark.parametrize(
    ("name", "kind", "mime", "codec"),
    [
        ("tone.wav", "audio", "audio/wav", "pcm_s16le"),
        ("tone.mp3", "audio", "audio/mpeg", "mp3"),
        ("tone.m4a", "audio", "audio/mp4", "aac"),
        ("tone.aac", "audio", "audio/aac", "aac"),
        ("tone.ogg", "audio", "audio/ogg", "opus"),
        ("tone.flac", "audio", "audio/flac", "flac"),
        ("clip.mp4", "video", "video/mp4", "h264"),
        ("clip.webm", "video", "video/webm", "vp9"),
        ("clip.mov", "video", "video/quicktime", "h264"),
    ],
)
def test_it_probes_audio_and_video(alice_api, alice_project, av_dir, name, kind, mime, codec):
    content = (av_dir / name).read_bytes()
    response = upload_file(alice_api, alice_project.id, name, content)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["mime"]) == (kind, mime)
    assert codec in body["codecs"]
    expected = 2.0 if kind == "video" else 1.0
    assert body["duration"] == pytest.approx(expected, abs=0.15)
    if kind == "video":
        assert (body["width"], body["height"]) == (320, 240)


@pytest.mark.parametrize(("name", "text"), [("subs.srt", media.SRT), ("subs.vtt", media.VTT)])
def test_it_accepts_subtitles(alice_api, alice_project, name, text):
    response = upload_file(alice_api, alice_project.id, name, text.encode())
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "subtitle"
    assert response.json()["duration"] == pytest.approx(4.0 if name.endswith("srt") else 4.25)


def test_it_detects_type_from_content_not_name(alice_api, alice_project):
    response = upload_file(alice_api, alice_project.id, "really-a-png.jpg", media.image_bytes("PNG"))
    assert response.status_code == 201
    assert response.json()["mime"] == "image/png"
    assert response.json()["originalName"] == "really-a-png.jpg"


def test_it_makes_a_webp_thumbnail_at_most_320px(alice_api, alice_project):
    asset = upload_file(alice_api, alice_project.id, "big.png", media.image_bytes("PNG", size=(1600, 900))).json()
    response = alice_api.get(f"/api/assets/{asset['id']}/thumbnail")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    thumb = Image.open(io.BytesIO(b"".join(response.streaming_content)), formats=["WEBP"])
    assert thumb.size == (320, 180)


def test_it_makes_a_poster_frame_for_video(alice_api, alice_project, av_dir):
    asset = upload_file(alice_api, alice_project.id, "clip.mp4", (av_dir / "clip.mp4").read_bytes()).json()
    response = alice_api.get(f"/api/assets/{asset['id']}/thumbnail")
    assert response.status_code == 200
    poster = Image.open(io.BytesIO(b"".join(response.streaming_content)), formats=["WEBP"])
    assert poster.size == (320, 240)
    assert len(set(poster.convert("RGB").get_flattened_data())) > 50, "a test pattern, not a blank frame"


def test_it_has_no_thumbnail_for_audio(alice_api, alice_project, av_dir):
    asset = upload_file(alice_api, alice_project.id, "tone.wav", (av_dir / "tone.wav").read_bytes()).json()
    response = alice_api.get(f"/api/assets/{asset['id']}/thumbnail")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_thumbnail"


def test_it_deduplicates_the_same_bytes_across_projects_and_users(
    alice_api, bob_api, alice, alice_project, bob_project
):
    content = media.image_bytes("PNG")
    first = upload_file(alice_api, alice_project.id, "one.png", content)
    files_after_first = stored_keys()
    second_project = alice_project.__class__.objects.create(owner=alice, title="Second")
    again = upload_file(alice_api, second_project.id, "two.png", content)
    bobs = upload_file(bob_api, bob_project.id, "bobs.png", content)
    assert first.status_code == 201
    assert again.status_code == 200 and again.json()["deduplicated"] is True
    # stored once, but Bob is not told that someone else had these bytes already
    assert bobs.status_code == 201 and bobs.json()["deduplicated"] is False
    assert Blob.objects.count() == 1 and Asset.objects.count() == 3
    assert [again.json()["originalName"], bobs.json()["originalName"]] == ["two.png", "bobs.png"]
    assert stored_keys() == files_after_first


def test_it_answers_a_repeat_upload_to_the_same_project_with_the_same_asset(alice_api, alice_project):
    content = media.image_bytes("PNG")
    first = upload_file(alice_api, alice_project.id, "a.png", content).json()
    again = upload_file(alice_api, alice_project.id, "b.png", content).json()
    assert again["id"] == first["id"] and again["deduplicated"] is True
    assert again["originalName"] == "a.png"


def test_it_accepts_the_route_with_a_trailing_slash(alice_api, alice_project):
    response = alice_api.post(
        f"/api/projects/{alice_project.id}/assets/",
        {"file": io.BytesIO(media.image_bytes("PNG"))}, format="multipart",
    )
    assert response.status_code == 201, response.json()


def test_it_cleans_hostile_display_names_and_keys_by_hash(alice_api, alice_project):
    name = "\u202eevil\u200f " + "x" * 300 + ".png"
    response = upload_file(alice_api, alice_project.id, name, media.image_bytes("PNG"))
    assert response.status_code == 201
    shown = response.json()["originalName"]
    assert "\u202e" not in shown and "\u200f" not in shown
    assert len(shown) <= 255 and shown.endswith(".png") and shown.startswith("evil")
    assert all(key.startswith(("assets/", "thumbs/")) for key in left_behind()["media"])


def test_it_stores_a_50mb_video_once(alice, alice_api, alice_project, tmp_path):
    """The issue's acceptance case: the same 50 MB video uploaded twice is stored once."""
    path = media.make_av(tmp_path, "big.mp4", [
        # noise makes the frames incompressible: ~50 MB in about a second of encoding
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=8",
        "-vf", "noise=alls=80:allf=t+u", "-c:v", "mpeg4", "-q:v", "1",
    ])
    content = path.read_bytes()
    assert len(content) > 45 * 1024 * 1024
    first = upload_file(alice_api, alice_project.id, "big.mp4", content)
    other = alice_project.__class__.objects.create(owner=alice, title="Another tutorial")
    second = upload_file(alice_api, other.id, "copy.mp4", content)
    assert first.status_code == 201 and second.status_code == 200, (first.json(), second.json())
    assert second.json()["deduplicated"] is True
    blobs = [k for k in left_behind()["media"] if k.startswith("assets/")]
    assert len(blobs) == 1
    with av.open(path) as container:
        assert container.streams.video[0].codec_context.name == "mpeg4"


@pytest.mark.django_db(transaction=True)
def test_the_same_bytes_uploaded_by_two_users_at_once_make_one_blob_and_two_links(
    alice_api, bob_api, alice_project, bob_project
):
    import threading

    from django.db import connections

    content = media.image_bytes("PNG", size=(1200, 800), color=(3, 140, 200))
    responses = {}

    def upload(who, client, project):
        try:
            responses[who] = upload_file(client, project.id, f"{who}.png", content)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload, args=args)
               for args in (("alice", alice_api, alice_project), ("bob", bob_api, bob_project))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses.values()) == [201, 201]
    assert Blob.objects.count() == 1 and Asset.objects.count() == 2
    assert [k for k in left_behind()["media"] if k.startswith("assets/")] == [Blob.objects.get().storage_key]
    assert left_behind()["tmp"] == []

    alices = alice_api.delete(f"/api/projects/{alice_project.id}/assets/{responses['alice'].json()['id']}")
    assert alices.status_code == 204
    Blob.objects.update(last_linked_at=timezone.now() - timedelta(days=30))
    call_command("assets_cleanup", stdout=io.StringIO())
    bobs = bob_api.get(f"/api/assets/{responses['bob'].json()['id']}/content")
    assert bobs.status_code == 200 and b"".join(bobs.streaming_content) == content


def test_it_records_a_large_jpegs_real_size(alice_api, alice_project):
    body = upload_file(alice_api, alice_project.id, "photo.jpg", media.image_bytes("JPEG", size=(4000, 3000))).json()
    assert (body["width"], body["height"]) == (4000, 3000)


def test_an_audio_only_mp4_with_a_generic_brand_is_audio(alice_api, alice_project, tmp_path):
    path = media.make_av(tmp_path, "voice.mp4", ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-f", "mp4"])
    body = upload_file(alice_api, alice_project.id, "voice.mp4", path.read_bytes()).json()
    assert (body["kind"], body["mime"]) == ("audio", "audio/mp4")
