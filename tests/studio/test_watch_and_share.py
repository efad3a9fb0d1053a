"""Watching a video (HLS, tracks, steps, downloads) and sharing it with a link that works logged out."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from html import unescape as html_unescape
from urllib.parse import urljoin, urlsplit

import av
import m3u8
import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from contentizer.models import Step
from previews import shares
from previews.models import Share, Video
from tests.conftest import MediaClient
from tests.previews.test_videos import _bilingual_chapter, _generate, _wait
from tests.studio.test_projects import _text

pytestmark = pytest.mark.django_db(transaction=True)


def _video(api, project) -> dict:
    project.languages = ["en", "de"]
    project.save()
    chapter = _bilingual_chapter(api, project.id)
    accepted = _generate(api, project.id, chapter["id"])
    assert _wait(api, accepted["jobId"])["status"] == "succeeded"
    return api.get(f"/api/videos/{accepted['videoId']}").json()


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_watch_page_plays_hls_with_both_languages_seekable_steps_and_downloads(client, alice, alice_api,
                                                                                  alice_project, worker, tmp_path):
    video = _video(alice_api, alice_project)
    client.force_login(alice)
    response = client.get(f"/videos/{video['videoId']}/")
    html, text = response.content.decode(), _text(response)
    base = f"/api/videos/{video['videoId']}/"
    assert f'data-hls="{base}hls/master.m3u8" data-mp4="{base}stream"' in html and f'poster="{base}poster"' in html
    # the first language's picture, with every language's subtitles timed to it
    assert re.findall(r'<track kind="subtitles" src="([^"]+)" srclang="(\w+)" label="(\w+)">', html) == [
        (f"{base}hls/subs_en/subtitles.vtt", "en", "English"), (f"{base}hls/subs_de/subtitles.vtt", "de", "German")]
    menu = html.split("data-language-menu")[1].split("</select>")[0]
    audio = re.findall(r"<option value=\"(\w+)\">(\w+)</option>", menu)
    assert audio == [("en", "English"), ("de", "German")]
    starts = [float(s) for s in re.findall(r'data-seek="([\d.]+)"', html)]
    row = Video.objects.get()
    assert starts == [step["start"] for step in row.steps] and starts[0] == 0 and starts == sorted(starts)
    assert len(starts) == 3 and "Step 1" in text and "Step 3" in text
    for lang, first_cue in (("en", "Open the settings menu."), ("de", "Öffnen Sie das Einstellungsmenü.")):
        srt = client.get(f"{base}subtitles/{lang}.srt?download=1")
        assert srt["Content-Disposition"].startswith("attachment") and first_cue in _body(srt).decode()
        vtt = client.get(f"{base}subtitles/{lang}.vtt")
        assert vtt["Content-Type"] == "text/vtt" and _body(vtt).decode().startswith("WEBVTT")
    assert client.get(f"{base}subtitles/fr.vtt").status_code == 404
    hls_vtt = _body(client.get(f"{base}hls/subs_de/subtitles.vtt")).decode()
    header, mapping = hls_vtt.splitlines()[:2]
    start = int(re.fullmatch(r"X-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00\.000", mapping).group(1))
    assert header == "WEBVTT" and 120000 <= start <= 140000  # FFmpeg's muxdelay, plus the encoder's delay
    for rendition, kind in (("video", "video"), ("audio_en", "audio")):  # the segments start where the map says
        segment = tmp_path / f"{rendition}.ts"
        segment.write_bytes(_body(client.get(f"{base}hls/{rendition}/seg000.ts")))
        with av.open(str(segment)) as ts:
            stream = ts.streams.video[0] if kind == "video" else ts.streams.audio[0]
            assert round(stream.start_time * stream.time_base * 90000) == start
    assert client.get(f"{base}download")["Content-Disposition"].startswith("attachment")
    # each language's own MP4 is offered for download
    assert "Video, English (MP4" in text and "Video, German (MP4" in text
    assert f'href="{base}download?language=de"' in html
    german = client.get(f"{base}download?language=de")
    assert german["Content-Disposition"].startswith("attachment") and "Chapter.de.mp4" in german["Content-Disposition"]
    project_text = _text(client.get(f"/projects/{alice_project.id}/"))
    assert "Video up to date · Watch Chapter · 0:0" in project_text and "English, German" in project_text

    Step.objects.filter(position=0).update(caption="Changed after the render")
    assert "Video out of date: the steps changed since it was made." in _text(client.get(
        f"/projects/{alice_project.id}/"))
    assert "This video is out of date" in _text(client.get(f"/videos/{video['videoId']}/"))


def test_a_share_link_plays_logged_out_through_its_own_urls_only_until_revoked(client, alice, alice_api, bob_api,
                                                                              alice_project, worker):
    video = _video(alice_api, alice_project)
    created = alice_api.post(f"/api/videos/{video['videoId']}/shares", {"expiresIn": "1h"}, format="json")
    assert created.status_code == 201
    share = created.json()
    expires = timezone.datetime.fromisoformat(share["expiresAt"])
    assert timedelta(minutes=59) < expires - timezone.now() <= timedelta(hours=1)
    prefix = urlsplit(share["url"]).path
    assert re.fullmatch(r"/s/[0-9a-f]{32}:[\w-]+/", prefix)

    stranger = MediaClient()  # logged out; follows S3 redirects like a browser
    page = stranger.get(prefix)
    html = page.content.decode()
    assert page.status_code == 200 and "Bilingual" not in html and alice.username not in html
    assert f'data-hls="{prefix}hls/master.m3u8" data-mp4="{prefix}video.mp4"' in html
    assert "/api/" not in html and page["Referrer-Policy"] == "no-referrer"
    assert stranger.get(f"/api/videos/{video['videoId']}/stream").status_code == 401

    fetched = _walk_hls(stranger, f"{prefix}hls/master.m3u8")
    assert {"video", "audio_en", "subs_en", "subs_de"} == {p.split("/")[0] for p in fetched if "/" in p}
    german = _walk_hls(stranger, f"{prefix}hls/de/master.m3u8")  # the German picture's own tree
    assert {"video", "audio_de", "subs_en", "subs_de"} == {p.split("/")[0] for p in german if "/" in p}
    assert stranger.get(f"{prefix}video.mp4?language=de", HTTP_RANGE="bytes=0-99").status_code == 206
    assert stranger.get(f"{prefix}video.mp4?language=fr").status_code == 404
    assert stranger.get(f"{prefix}poster.jpg")["Content-Type"] == "image/jpeg"
    assert stranger.get(f"{prefix}video.mp4", HTTP_RANGE="bytes=0-99").status_code == 206
    assert "Öffnen Sie" in _body(stranger.get(f"{prefix}subtitles/de.vtt")).decode()
    assert stranger.get(f"{prefix}hls/../../{video['videoId']}/video.mp4").status_code == 404

    listed = alice_api.get(f"/api/videos/{video['videoId']}/shares").json()["results"]
    assert [(s["id"], s["active"]) for s in listed] == [(share["id"], True)]
    assert bob_api.get(f"/api/videos/{video['videoId']}/shares").status_code == 404
    assert bob_api.delete(f"/api/videos/{video['videoId']}/shares/{share['id']}").status_code == 404
    assert alice_api.delete(f"/api/videos/{video['videoId']}/shares/{share['id']}").status_code == 204
    _assert_gone(stranger, prefix)
    assert alice_api.get(f"/api/videos/{video['videoId']}/shares").json()["results"][0]["active"] is False


def _walk_hls(client, url: str) -> list[str]:
    """Fetch a master playlist and everything it names (relative URIs), returning their paths
    relative to the HLS root; every one must answer 200 under the same prefix."""
    root = url.rsplit("/", 1)[0] + "/"
    seen, queue = [], [url]
    while queue:
        current = queue.pop()
        response = client.get(current)
        assert response.status_code == 200, current
        seen.append(current[len(root):])
        if current.endswith(".m3u8"):
            playlist = m3u8.loads(_body(response).decode())
            uris = [m.uri for m in playlist.media if m.uri] + [p.uri for p in playlist.playlists]
            uris += [s.uri for s in playlist.segments]
            assert all(not urlsplit(u).scheme and not u.startswith("/") for u in uris), uris
            queue += [urljoin(current, u) for u in uris]
    return seen


def _assert_gone(client, prefix: str) -> None:
    page = client.get(prefix)
    assert page.status_code == 404 and "This link does not work" in _text(page)
    assert "expired or been revoked" in _text(page)
    for path in ("hls/master.m3u8", "hls/video/index.m3u8", "poster.jpg", "video.mp4", "subtitles/en.vtt"):
        assert client.get(prefix + path).status_code == 404, path


def _finished_row(owner, project) -> Video:
    """A video row marked finished (no files): enough for the rules about links, not for playing."""
    from contentizer.jobs.models import Job, JobStatus

    job = Job.objects.create(kind="video", owner=owner, project=project, status=JobStatus.SUCCEEDED)
    chapter = project.chapters.create(title="C", position=project.chapters.count())
    return Video.objects.create(owner=owner, project=project, chapter=chapter, job=job, languages=["en"],
                                mp4_key="videos/x/video.mp4", hls_prefix="videos/x/hls", poster_key="videos/x/p.jpg")


def test_tampered_expired_and_revoked_links_are_404_pages(alice, alice_project):
    video = _finished_row(alice, alice_project)
    share = shares.share_create(video=video, lifetime="1d")
    token = shares.share_token(share)
    assert shares.share_resolve(token) == share
    stranger = Client()
    signature = token.split(":")[1]
    tampered = [token[:-1] + ("A" if token[-1] != "A" else "B"), f"{uuid.uuid4().hex}:{signature}", "nonsense",
                signing.Signer(salt="another.purpose").sign(share.id.hex)]
    for bad in tampered:
        _assert_gone(stranger, f"/s/{bad}/")
    Share.objects.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_gone(stranger, f"/s/{token}/")
    live = shares.share_create(video=video, lifetime="7d")
    shares.share_revoke(share=live)
    _assert_gone(stranger, shares.share_path(live))


def test_only_a_finished_video_can_be_shared(alice, alice_api, alice_project):
    from contentizer.jobs.models import Job

    job = Job.objects.create(kind="video", owner=alice, project=alice_project)
    chapter = alice_project.chapters.create(title="C", position=0)
    video = Video.objects.create(owner=alice, project=alice_project, chapter=chapter, job=job, languages=["en"])
    response = alice_api.post(f"/api/videos/{video.id}/shares", {"expiresIn": "1d"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_ready"
    bad = alice_api.post(f"/api/videos/{video.id}/shares", {"expiresIn": "1y"}, format="json")
    assert bad.status_code == 400 and not Share.objects.exists()


def test_the_watch_page_makes_links_for_the_offered_lifetimes_and_revokes_them(client, alice, bob, alice_project):
    video = _finished_row(alice, alice_project)
    client.force_login(alice)
    page = client.get(f"/videos/{video.id}/").content.decode()
    offered = re.findall(r'<option value="(\w+)"( selected)?>([\w ]+)</option>',
                         page.split('name="expires_in"')[1].split("</select>")[0])
    assert offered == [("1h", "", "1 hour"), ("1d", " selected", "1 day"), ("7d", "", "7 days"),
                       ("30d", "", "30 days"), ("never", "", "until revoked")]
    response = client.post(f"/videos/{video.id}/shares", {"expires_in": "7d"}, follow=True)
    share = Share.objects.get()
    assert "Share link created; it works for 7 days." in _text(response)
    assert timedelta(days=6, hours=23) < share.expires_at - timezone.now() <= timedelta(days=7)
    assert f'value="http://testserver{shares.share_path(share)}"' in response.content.decode()
    client.force_login(bob)
    assert client.post(f"/videos/{video.id}/shares/{share.id}/revoke").status_code == 404
    assert client.get(f"/videos/{video.id}/").status_code == 404
    client.force_login(alice)
    client.post(f"/videos/{video.id}/shares/{share.id}/revoke")
    share.refresh_from_db()
    assert share.revoked_at is not None and not shares.share_active(share)


def test_a_share_link_keeps_the_title_the_video_was_made_with(alice, alice_api, alice_project):
    from contentizer.jobs.models import Job, JobStatus
    from tests.previews.helpers import chapter_with_steps

    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Hi", "duration": 1}])
    alice_api.patch(f"/api/chapters/{chapter['id']}", {"title": "Installing the app"}, format="json")
    accepted = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"]},
                              format="json").json()
    # what the worker's package stage leaves (the render itself is not what this is about)
    Job.objects.filter(pk=accepted["jobId"]).update(status=JobStatus.SUCCEEDED)
    Video.objects.filter(pk=accepted["videoId"]).update(mp4_key="videos/x/video.mp4", hls_prefix="videos/x/hls",
                                                        poster_key="videos/x/poster.jpg", duration=1.0)
    share = alice_api.post(f"/api/videos/{accepted['videoId']}/shares", {"expiresIn": "1d"}, format="json").json()
    renamed = alice_api.patch(f"/api/chapters/{chapter['id']}", {"title": "Internal draft: do not ship"},
                              format="json")
    assert renamed.status_code == 200 and renamed.json()["title"] == "Internal draft: do not ship"
    page = Client().get(urlsplit(share["url"]).path)
    html = page.content.decode()
    assert page.status_code == 200 and "Internal draft" not in html
    assert "<title>Installing the app</title>" in html and "<h1>Installing the app</h1>" in html
    assert 'aria-label="Installing the app"' in html


def test_a_video_made_with_one_picture_for_every_language_still_plays_each_language(client, alice, alice_project):
    """Videos made before each language had its own picture (no `pictures`): every language is that
    one picture, its HLS master switching audio tracks and its MP4 served for each language."""
    video = _finished_row(alice, alice_project)
    Video.objects.filter(pk=video.pk).update(languages=["en", "de"], size=1234, duration=3.0, steps=[
        {"start": 0.0, "caption": "One"}, {"start": 1.5, "caption": "Two"}])
    video.refresh_from_db()
    assert video.picture("de") == video.picture("en") == video.picture() == {
        "mp4Key": "videos/x/video.mp4", "size": 1234, "duration": 3.0, "tree": "", "starts": [0.0, 1.5],
        "shared": True}
    assert video.picture("fr") is None
    client.force_login(alice)
    page = client.get(f"/videos/{video.id}/")
    html = page.content.decode()
    base = f"/api/videos/{video.id}/"
    pictures = json.loads(html_unescape(re.search(r'data-pictures="([^"]*)"', html).group(1)))
    assert [p["hls"] for p in pictures] == [f"{base}hls/master.m3u8"] * 2
    assert [p["vtt"] for p in pictures] == [{"en": f"{base}subtitles/en.vtt", "de": f"{base}subtitles/de.vtt"}] * 2
    assert [p["starts"] for p in pictures] == [[0.0, 1.5]] * 2
    assert "Video (MP4, 1.2" in _text(page) and "?language=" not in html
