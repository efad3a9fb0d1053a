"""Export and import carry the whole project: languages, voices, lexicon, per-language captions,
machine-translation marks, and renders that play without rendering again (container version 2)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from contentizer.api.errors import http_status
from contentizer.errors import ApplicationError
from contentizer.jobs.models import Job, JobAttempt
from contentizer.media import probe
from contentizer.models import Chapter, Project, Step
from exports.importing import import_project, import_tutorial
from previews.models import LexiconEntry, ProjectVoice, Video
from tests import media
from tests.conftest import clear_cache, left_behind, stored_keys, wait_for
from tests.exports.builders import as_version_2, sample_export, with_render
from tests.previews.helpers import download, upload

NOTHING = {"media": [], "tmp": []}
VOICES = {"en": ("espeak:en-gb", 1.2), "de": ("espeak:de", 0.8)}  # neither is the default voice of its language
LEXICON = [("de", "SQL", "es ku el"), ("en", "SQL", "sequel"), ("en", "nginx", "engine x")]
STEPS = [
    {"caption": {"en": "Loosen the nuts", "de": "Muttern lösen"},
     "narration": {"en": "Loosen the nuts.", "de": "Lösen Sie die Muttern."}, "duration": 1.5},
    {"caption": {"en": "Lift the car", "de": "Auto anheben"},
     "narration": {"en": "Lift the car.", "de": "Heben Sie das Auto an."}, "duration": 1.5},
]
MARKS = [{"caption": ["de"], "narration": ["de"]}, {"narration": ["de"]}]


def _job(api, job_id: str, timeout: float = 120) -> dict:
    return wait_for(lambda: (b := api.get(f"/api/v1/jobs/{job_id}").json())["status"] not in ("queued", "running")
                    and b, timeout=timeout, interval=0.3)


def _two_language_project(api) -> tuple[dict, dict]:
    project = api.post("/api/projects", {"title": "Fix a flat tyre", "description": "Roadside.",
                                         "languages": ["en", "de"]}, format="json").json()
    for language, (voice, rate) in VOICES.items():
        chosen = api.put(f"/api/projects/{project['id']}/voices/{language}", {"voice": voice, "rate": rate},
                         format="json")
        assert chosen.status_code == 200, chosen.json()
    for language, written, spoken in LEXICON:
        added = api.post(f"/api/projects/{project['id']}/lexicon",
                         {"language": language, "written": written, "spoken": spoken}, format="json")
        assert added.status_code == 201, added.json()
    chapter = api.post(f"/api/projects/{project['id']}/chapters", {"title": "Wheels"}, format="json").json()
    colours = [(200, 40, 40), (40, 40, 200)]
    for step, colour, marks in zip(STEPS, colours, MARKS, strict=True):
        picture = upload(api, project["id"], "tyre.png", media.image_bytes("PNG", (640, 360), colour))
        created = api.post(f"/api/chapters/{chapter['id']}/steps", {**step, "asset": picture["id"]}, format="json")
        assert created.status_code == 201, created.json()
        # what the translation job leaves (its own tests cover how); the API reads the marks only
        Step.objects.filter(pk=created.json()["id"]).update(machine_translated=marks)
    return project, chapter


def _export_zip(api, project_id: int, *, renders: bool) -> bytes:
    accepted = api.post("/api/export", {"projectId": project_id, "include": {"renders": renders}}, format="json")
    assert accepted.status_code == 202, accepted.json()
    status = _job(api, accepted.json()["exportId"])
    assert status["status"] == "succeeded", status
    return download(api.__class__(), status["signedUrl"])


def _import(api, data: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "tutorial.zip"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        accepted = api.post("/api/import", {"file": fh}, format="multipart")
    assert accepted.status_code == 202, accepted.json()
    job = _job(api, accepted.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def _whole(api, project_id: int) -> dict:
    """Everything a person set on the project, as the API gives it back."""
    project = api.get(f"/api/projects/{project_id}").json()
    voices = api.get(f"/api/projects/{project_id}/voices").json()["voices"]
    lexicon = api.get(f"/api/projects/{project_id}/lexicon").json()["results"]
    chapters = api.get(f"/api/projects/{project_id}/chapters").json()["results"]
    fields = ("caption", "narration", "machineTranslated", "duration", "transition", "transitionDuration")
    return {
        "project": {k: project[k] for k in ("description", "languages")},
        "voices": [(v["language"], v["voice"], v["rate"], v["speaking"]) for v in voices],
        "lexicon": sorted((e["language"], e["written"], e["spoken"]) for e in lexicon),
        "chapters": [(c["title"], [{f: s[f] for f in fields} for s in
                                   api.get(f"/api/chapters/{c['id']}/steps").json()["results"]]) for c in chapters],
    }


def _generate(api, project_id: int, chapter_id: int) -> dict:
    asked = api.post("/api/videos/generate", {"projectId": project_id, "chapterId": chapter_id,
                                              "languages": ["en", "de"]}, format="json")
    assert asked.status_code == 202, asked.json()
    job = _job(api, asked.json()["jobId"], timeout=240)
    assert job["status"] == "succeeded", job
    return api.get(f"/api/videos/{asked.json()['videoId']}").json()


@pytest.mark.django_db(transaction=True)
def test_a_two_language_project_comes_back_whole_through_the_api_and_the_worker(alice_api, bob_api, worker,
                                                                                 tmp_path):
    clear_cache()
    project, _ = _two_language_project(alice_api)
    data = _export_zip(alice_api, project["id"], renders=False)
    container = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("container.json"))
    assert container["version"] == 2 and container["project"]["languages"] == ["en", "de"]

    job = _import(bob_api, data, tmp_path)
    assert job["result"]["videos"] == 0 and job["result"]["warnings"] == []
    theirs, mine = _whole(bob_api, job["result"]["projectId"]), _whole(alice_api, project["id"])
    assert theirs == mine
    assert mine["voices"] == [("en", "espeak:en-gb", 1.2, "espeak:en-gb"), ("de", "espeak:de", 0.8, "espeak:de")]
    assert mine["chapters"][0][1][0]["caption"] == STEPS[0]["caption"]
    assert [s["machineTranslated"] for s in mine["chapters"][0][1]] == MARKS
    assert job["result"]["title"] == "Fix a flat tyre", "bob has no project of that name"
    again = _import(alice_api, data, tmp_path)
    assert again["result"]["title"] == "Fix a flat tyre (imported)"
    assert _whole(alice_api, again["result"]["projectId"]) == mine


@pytest.mark.django_db(transaction=True)
def test_an_export_with_its_render_imports_a_video_that_plays_without_rendering_again(
        client, alice_api, bob, bob_api, worker, tmp_path):
    clear_cache()
    project, chapter = _two_language_project(alice_api)
    original = _generate(alice_api, project["id"], chapter["id"])
    data = _export_zip(alice_api, project["id"], renders=True)

    job = _import(bob_api, data, tmp_path)
    assert job["result"]["videos"] == 1 and job["result"]["warnings"] == []
    assert _whole(bob_api, job["result"]["projectId"]) == _whole(alice_api, project["id"])
    listed = bob_api.get("/api/v1/jobs", {"kind": "video", "project": job["result"]["projectId"]}).json()["results"]
    assert [j["status"] for j in listed] == ["succeeded"]
    video = bob_api.get(f"/api/videos/{listed[0]['result']['videoId']}").json()
    assert video["languages"] == ["en", "de"] and video["status"] == "succeeded"
    assert video["duration"] == pytest.approx(original["duration"], abs=0.05)
    assert JobAttempt.objects.filter(kind="video").count() == 1, "only alice's video was ever rendered"

    mp4 = tmp_path / "imported.mp4"
    mp4.write_bytes(download(bob_api, video["urls"]["stream"]))
    info = probe.probe(str(mp4), demuxer="mp4", max_streams=16)
    assert [(s.type, s.codec) for s in info.streams if s.type != "subtitle"] == [("video", "h264"), ("audio", "aac")]
    assert info.duration == pytest.approx(original["duration"], abs=0.05)
    master = bob_api.get(video["urls"]["hls"])
    assert master.status_code == 200 and master["Content-Type"] == "application/vnd.apple.mpegurl"
    playlist = b"".join(master.streaming_content).decode() if master.streaming else master.content.decode()
    assert 'LANGUAGE="en"' in playlist and "audio_en/index.m3u8" in playlist and "video/index.m3u8" in playlist
    base = video["urls"]["hls"].rsplit("/", 1)[0]
    for name in ("video/index.m3u8", "audio_en/index.m3u8", "subs_en/index.m3u8", "subs_en/subtitles.vtt"):
        assert bob_api.get(f"{base}/{name}").status_code == 200, name
    assert "Loosen the nuts" in download(bob_api, video["urls"]["subtitles"]["en"]["vtt"]).decode()
    # each language's own picture came with it: the German MP4 and HLS tree, its own track and subtitles
    german = tmp_path / "imported-de.mp4"
    german.write_bytes(download(bob_api, video["urls"]["pictures"]["de"]["stream"]))
    info = probe.probe(str(german), demuxer="mp4", max_streams=16)
    assert [(s.type, s.codec) for s in info.streams if s.type != "subtitle"] == [("video", "h264"), ("audio", "aac")]
    german_master = download(bob_api, video["urls"]["pictures"]["de"]["hls"]).decode()
    assert 'LANGUAGE="de"' in german_master and "audio_de/index.m3u8" in german_master
    german_base = video["urls"]["pictures"]["de"]["hls"].rsplit("/", 1)[0]
    assert "Heben Sie das Auto an" in download(bob_api, f"{german_base}/subs_de/subtitles.vtt").decode()
    assert bob_api.get(video["urls"]["poster"]).status_code == 200

    client.force_login(bob)
    page = client.get(f"/videos/{video['videoId']}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "hls/master.m3u8" in text and "Loosen the nuts" in text and "Lift the car" in text
    # every subtitle file the player may ask for is there (each imported picture offers its own)
    vtts = set(re.findall(r"/api/videos/[0-9a-f-]+/hls/[A-Za-z0-9_/-]*subtitles\.vtt", text))
    assert len(vtts) == 2 and all(bob_api.get(url).status_code == 200 for url in vtts), vtts
    job_page = client.get(f"/jobs/{listed[0]['id']}/").content.decode()
    assert "Watch the video" in job_page and f"Imported with its project (import {job['id']})" in job_page
    # the imported video is the chapter's current one: exporting the import with renders works
    again = json.loads(zipfile.ZipFile(io.BytesIO(_export_zip(bob_api, job["result"]["projectId"], renders=True)))
                       .read("container.json"))
    assert again["chapters"][0]["video"]["languages"] == ["en", "de"]
    slug = again["chapters"][0]["slug"]
    assert again["chapters"][0]["video"]["pictures"]["de"]["render"] == f"renders/{slug}.de.mp4"


# --- the same rules, through the import service, with zips built by hand ----------------------------

def test_a_version_1_container_still_imports_with_todays_defaults(alice, zips):
    project = import_project(owner=alice, source=sample_export().write(zips / "v1.zip"))
    assert project.languages == ["en"]
    steps = Step.objects.filter(chapter__project=project).order_by("position")
    assert [s.caption for s in steps] == [{"en": "Click Save"}, {"en": "Open"}], "a string caption: the first language"
    assert [s.machine_translated for s in steps] == [{}, {}]
    assert not ProjectVoice.objects.exists() and not LexiconEntry.objects.exists()
    assert not Video.objects.exists(), "version 1 does not describe its render: verified, not imported"


def test_an_import_says_it_is_one_when_a_project_of_that_name_exists(alice, bob, zips):
    path = sample_export().write(zips / "v1.zip")
    Project.objects.create(owner=alice, title="Getting started")
    titles = [import_project(owner=alice, source=path).title for _ in range(3)]
    assert titles == ["Getting started (imported)", "Getting started (imported 2)", "Getting started (imported 3)"]
    assert import_project(owner=bob, source=path).title == "Getting started", "another user's projects do not count"


def test_a_long_title_is_cut_to_make_room_for_the_mark(alice, zips):
    export = sample_export()
    export.container["project"]["title"] = "x" * 200
    Project.objects.create(owner=alice, title="x" * 200)
    title = import_project(owner=alice, source=export.write(zips / "long.zip")).title
    assert title == "x" * 189 + " (imported)" and len(title) == 200


def test_a_voice_this_contentizer_lacks_gives_way_to_the_best_available_at_the_same_rate(alice, zips):
    export = as_version_2(sample_export(), languages=["en", "de"], voices=[
        {"language": "de", "voice": "piper:de_DE-nowhere-medium", "rate": 1.3},
        {"language": "en", "voice": "espeak:en-gb", "rate": 0.7}])
    done = import_tutorial(owner=alice, source=export.write(zips / "voices.zip"))
    choices = {v.language: (v.voice, v.rate) for v in ProjectVoice.objects.filter(project=done.project)}
    assert choices == {"de": ("", 1.3), "en": ("espeak:en-gb", 0.7)}
    assert len(done.warnings) == 1 and "piper:de_DE-nowhere-medium" in done.warnings[0]


def test_a_render_imports_as_a_ready_video_with_its_hls_and_subtitles(alice, zips, av_dir):
    clip = (av_dir / "clip.mp4").read_bytes()
    export = with_render(as_version_2(sample_export()), clip, languages=["en"], duration=2.0)
    done = import_tutorial(owner=alice, source=export.write(zips / "render.zip"))
    video = Video.objects.get(project=done.project)
    assert (done.videos, video.job.status, video.languages, video.height, video.aspect) == (1, "succeeded", ["en"],
                                                                                             240, "4:3")
    assert [s["start"] for s in video.steps] == [0.0, 1.0]
    keys = stored_keys(f"videos/{video.id}")
    assert {f"videos/{video.id}/{name}" for name in ("video.mp4", "poster.jpg", "hls/master.m3u8",
            "hls/video/index.m3u8", "hls/audio_en/index.m3u8", "hls/subs_en/subtitles.vtt",
            "subtitles/en.vtt", "subtitles/en.srt")} <= set(keys)
    assert left_behind()["tmp"] == []


def _refused(alice, path: Path, status: int, code: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        import_project(owner=alice, source=path)
    error = caught.value
    assert (http_status(error), error.code) == (status, code), (error.code, error.message)
    assert Project.objects.count() == Chapter.objects.count() == Step.objects.count() == 0
    assert Video.objects.count() == Job.objects.count() == LexiconEntry.objects.count() == 0
    assert left_behind() == NOTHING
    return error


def test_a_render_that_is_not_a_video_is_refused_and_nothing_is_kept(alice, zips):
    export = with_render(as_version_2(sample_export()), b"\x00\x00\x00\x18ftypmp42 not really a video",
                         languages=["en"], duration=2.0)
    error = _refused(alice, export.write(zips / "fake.zip"), 422, "invalid_render")
    assert error.details["render"] == "renders/01-intro.mp4"


def test_a_render_with_a_track_missing_is_refused(alice, zips, av_dir):
    clip = (av_dir / "clip.mp4").read_bytes()
    export = with_render(as_version_2(sample_export(), languages=["en", "de"]), clip, languages=["en", "de"],
                         duration=2.0)
    error = _refused(alice, export.write(zips / "one-track.zip"), 422, "invalid_render")
    assert "one AAC audio track per language (2)" in error.message


def test_a_failure_after_the_video_was_stored_removes_it(alice, zips, av_dir, monkeypatch):
    from previews.videos import imported

    def fail(**kwargs):
        real(**kwargs)
        raise OSError("the database went away")

    real = imported.video_record_finished
    monkeypatch.setattr(imported, "video_record_finished", fail)
    clip = (av_dir / "clip.mp4").read_bytes()
    export = with_render(as_version_2(sample_export()), clip, languages=["en"], duration=2.0)
    with pytest.raises(OSError):
        import_project(owner=alice, source=export.write(zips / "late.zip"))
    assert Project.objects.count() == Video.objects.count() == Job.objects.count() == 0
    assert left_behind() == NOTHING


@pytest.mark.parametrize(("change", "field"), [
    (lambda c: c["project"]["lexicon"].extend([{"language": "en", "written": "SQL", "spoken": "a"}] * 2),
     "project.lexicon[1]"),
    (lambda c: c["project"]["voices"].extend([{"language": "de", "voice": "", "rate": 1.0}] * 2),
     "project.voices[1]"),
    (lambda c: c["chapters"][0]["video"]["steps"].pop(), "chapters[0].video.steps"),
    (lambda c: c["chapters"][0].update(video=None), "chapters[0].video"),
    (lambda c: c["chapters"][0]["steps"][0].update(caption="v1 style"), "chapters[0].steps[0].caption"),
    (lambda c: c["chapters"][0]["steps"][0].pop("machineTranslated"), "chapters[0].steps[0]"),
    (lambda c: c["project"].pop("languages"), "project"),
    (lambda c: c["chapters"][0]["video"].update(pictures={"en": {"render": "renders/01-intro.mp4", "duration": 2.0}}),
     "chapters[0].video.pictures"),
    # from a review: a step list of another shape broke the import or the watch page (500)
    (lambda c: c["chapters"][0]["video"]["steps"][0].update(starts=[]), "chapters[0].video.steps[0].starts"),
    (lambda c: c["chapters"][0]["video"]["steps"][0].update(fallback="x"), "chapters[0].video.steps[0].fallback"),
    (lambda c: c["chapters"][0]["video"]["steps"][0].update(surprise=1), "chapters[0].video.steps[0]"),
    (lambda c: c["chapters"][0]["video"].update(languages=["en", "en"]), "chapters[0].video.languages"),
], ids=["lexicon-twice", "voice-twice", "video-steps", "render-without-video", "string-caption", "no-marks",
        "no-languages", "picture-of-the-first-language", "starts-list", "fallback-string", "unknown-step-key",
        "language-twice"])
def test_version_2_containers_must_be_whole_and_consistent(alice, zips, av_dir, change, field):
    clip = (av_dir / "clip.mp4").read_bytes()
    export = with_render(as_version_2(sample_export()), clip, languages=["en"], duration=2.0)
    change(export.container)
    error = _refused(alice, export.write(zips / "bad.zip"), 422, "invalid_container")
    assert error.details["field"] == field, error.message


def test_version_1_containers_may_not_carry_version_2_fields(alice, zips):
    export = sample_export()
    export.container["project"]["languages"] = ["en", "de"]
    _refused(alice, export.write(zips / "mixed.zip"), 422, "invalid_container")


def test_renders_over_the_storage_quota_are_refused_before_anything_is_written(alice, zips, av_dir, settings):
    clip = (av_dir / "clip.mp4").read_bytes()
    settings.VIDEO_QUOTA_BYTES = len(clip) - 1
    export = with_render(as_version_2(sample_export()), clip, languages=["en"], duration=2.0)
    error = _refused(alice, export.write(zips / "big.zip"), 403, "quota_exceeded")
    assert error.details["needed"] == len(clip)


def test_the_import_job_page_says_what_did_not_come_across(client, alice):
    project = Project.objects.create(owner=alice, title="Fix a flat tyre (imported)")
    job = Job.objects.create(kind="import", owner=alice, status="succeeded", result={
        "projectId": project.pk, "title": project.title, "chapters": 1, "assets": 2, "videos": 1,
        "warnings": ["There is no voice 'piper:de_DE-x'. de is narrated by the best available voice."]})
    client.force_login(alice)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "1 video ready to watch without rendering again" in page
    assert "There is no voice &#x27;piper:de_DE-x&#x27;. de is narrated by the best available voice." in page


def test_a_picture_render_not_listed_in_files_is_a_422_naming_it(alice, zips, av_dir):
    clip = (av_dir / "clip.mp4").read_bytes()
    export = with_render(as_version_2(sample_export()), clip, languages=["en"], duration=2.0)
    export.container["chapters"][0]["video"]["languages"] = ["en", "de"]
    export.container["chapters"][0]["subtitles"]["de"] = export.container["chapters"][0]["subtitles"]["en"]
    export.container["chapters"][0]["video"]["pictures"] = {"de": {"render": "renders/01-intro.de.mp4",
                                                                   "duration": 2.0}}
    error = _refused(alice, export.write(zips / "unlisted.zip"), 422, "invalid_container")
    assert error.details["field"] == "chapters[0].video.pictures.de.render"


def test_languages_written_as_codes_in_capitals_are_stored_as_codes(alice, zips):
    export = as_version_2(sample_export())
    export.container["project"]["languages"] = ["EN"]
    project = import_project(owner=alice, source=export.write(zips / "caps.zip"))
    assert project.languages == ["en"]
