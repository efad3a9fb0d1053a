"""A step's recorded narration travels in the export (its file in `files`, named by the step) and comes back
on import as the step's recording, transcribed as it was; an export without assets keeps only the text."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.conftest import wait_for
from tests.previews.helpers import chapter_with_steps, download, upload
from tests.previews.voice_recordings import spoken_wav


def _job(api, job_id: str, timeout: float = 180) -> dict:
    def finished():
        body = api.get(f"/api/v1/jobs/{job_id}").json()
        return body if body["status"] not in ("queued", "running") else None

    return wait_for(finished, timeout=timeout, interval=0.3)


def _export(api, project_id: int, **include) -> bytes:
    accepted = api.post("/api/export", {"projectId": project_id, "include": include}, format="json")
    assert accepted.status_code == 202, accepted.json()
    status = _job(api, accepted.json()["exportId"])
    assert status["status"] == "succeeded", status
    return download(api.__class__(), status["signedUrl"])


@pytest.fixture
def recorded_step(alice_api, alice_project, worker, tmp_path):
    wav = spoken_wav(tmp_path / "voice.wav")
    asset = upload(alice_api, alice_project.pk, "voice.wav", wav.read_bytes())
    chapter = chapter_with_steps(alice_api, alice_project.pk, [{"caption": "Backups", "duration": 1.0}])
    step = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][0]
    put = alice_api.put(f"/api/steps/{step['id']}/narration/en/recording", {"asset": asset["id"]}, format="json")
    assert _job(alice_api, put.json()["job"]["id"])["status"] == "succeeded"
    return alice_api.get(f"/api/steps/{step['id']}").json(), asset


def test_a_recorded_narration_comes_back_on_import(alice_api, alice_project, recorded_step, tmp_path):
    step, asset = recorded_step
    data = _export(alice_api, alice_project.pk)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        container = json.loads(zf.read("container.json"))
    exported = container["chapters"][0]["steps"][0]["narrationAudio"]["en"]
    assert exported["transcript"] == step["narrationAudio"]["en"]["transcript"] != ""
    listed = next(f for f in container["files"] if f["path"] == exported["asset"])
    assert listed["kind"] == "audio" and listed["usedBy"] == [{"chapter": 0, "step": 0}]

    path = tmp_path / "tutorial.zip"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        accepted = alice_api.post("/api/import", {"file": fh}, format="multipart")
    job = _job(alice_api, accepted.json()["id"])
    assert job["status"] == "succeeded", job
    chapters = alice_api.get(f"/api/projects/{job['result']['projectId']}/chapters").json()["results"]
    imported = alice_api.get(f"/api/chapters/{chapters[0]['id']}/steps").json()["results"][0]
    recording = imported["narrationAudio"]["en"]
    assert recording["state"] == "ready" and recording["transcript"] == exported["transcript"]
    assert imported["narration"] == step["narration"]
    again = alice_api.get(f"/api/assets/{recording['asset']}").json()
    assert again["sha256"] == asset["sha256"] and again["duration"] == asset["duration"]


def test_an_export_without_assets_keeps_only_the_text(alice_api, alice_project, recorded_step):
    step, _ = recorded_step
    with zipfile.ZipFile(io.BytesIO(_export(alice_api, alice_project.pk, assets=False))) as zf:
        container = json.loads(zf.read("container.json"))
    exported = container["chapters"][0]["steps"][0]
    assert "narrationAudio" not in exported and exported["narration"] == step["narration"]
