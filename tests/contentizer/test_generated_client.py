"""A client generated from the OpenAPI schema (openapi-python-client, from PyPI) drives the main flows
against a real web server and a real worker: a project with a chapter and steps, a preview, a video.

If the generator cannot read part of the schema, the schema is what needs fixing: `--fail-on-warning`
turns any part it would leave out into a failure here.
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from uuid import UUID

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from contentizer.media import probe
from tests import media
from tests.conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PACKAGE = "contentizer_client"
# The generator knows JSON, text and application/octet-stream; the schema names the real media types
# of raw bytes, which are octet streams to it (the generator's documented setting for this).
BYTES = ["*/*", "application/offset+octet-stream", "application/vnd.apple.mpegurl", "application/x-subrip",
         "application/zip", "audio/wav", "image/jpeg", "image/webp", "text/vtt", "video/mp2t", "video/mp4"]
CONFIG = "content_type_overrides:\n" + "".join(f'  "{name}": application/octet-stream\n' for name in BYTES)


@pytest.fixture
def generated(tmp_path: Path):
    """The client package, generated from the schema the server serves, imported."""
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    (tmp_path / "config.yaml").write_text(CONFIG)
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(schema), "--output-path",
         str(tmp_path / PACKAGE), "--meta", "none", "--config", str(tmp_path / "config.yaml"), "--fail-on-warning"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name="": importlib.import_module(f"{PACKAGE}.{name}" if name else PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_every_module_of_the_generated_client_imports(generated):
    package = generated()
    modules = [m.name for m in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    assert len([generated(name.removeprefix(f"{PACKAGE}.")) for name in modules]) > 100


def _finished(client, jobs: ModuleType, job_id: UUID, timeout: float):
    def done():
        job = jobs.sync(job_id, client=client)
        return job if job.status.value not in ("queued", "running") else None

    return wait_for(done, timeout=timeout, interval=0.5)


def _chapter(client, api, models, File, project_id: int) -> int:  # noqa: N803 (the generated class)
    slides = []
    for name, colour in (("red.png", (220, 30, 30)), ("blue.png", (30, 30, 220))):
        upload = models.AssetUploadInputRequest(file=File(
            payload=io.BytesIO(media.image_bytes("PNG", (640, 360), colour)), file_name=name, mime_type="image/png"))
        slides.append(api("assets.projects_assets_create").sync(project_id, client=client, body=upload))
    assert [s.original_name for s in slides] == ["red.png", "blue.png"] and slides[0].kind == "image"
    chapter = api("chapters.projects_chapters_create").sync(
        project_id, client=client, body=models.ChapterRequest(title="Brakes"))
    for slide, text in zip(slides, ("Pull the lever.", "Check the pads."), strict=True):
        step = api("steps.chapters_steps_create").sync(chapter.id, client=client, body=models.StepRequest(
            caption=text, asset=slide.id, duration=1.5, transition=models.TransitionEnum.DISSOLVE,
            transition_duration=0.4, narration=models.StepRequestNarration.from_dict({"en": text})))
        assert (step.transition_duration, step.narration.to_dict()) == (0.4, {"en": text})
    return chapter.id


def test_a_generated_client_drives_a_preview_and_a_video(generated, alice, web_servers, workers, tmp_path):
    package, models = generated(), generated("models")

    def api(name: str) -> ModuleType:
        return generated(f"api.{name}")

    workers.start()
    # One machine, as embedded: the web server stores uploads where the worker reads them (on S3
    # they meet in the bucket).
    base_url = web_servers.start(DATA_DIR=str(workers.data_dir))
    client = package.AuthenticatedClient(base_url=base_url, token=Token.objects.create(user=alice).key,
                                         prefix="Token", raise_on_unexpected_status=True, timeout=60,
                                         follow_redirects=True)  # media may redirect to S3, as docs/api.md says
    project = api("projects.projects_create").sync(client=client, body=models.ProjectRequest(title="Bike care"))
    assert project.chapter_count == 0 and project.created_at.tzinfo is not None
    chapter_id = _chapter(client, api, models, generated("types").File, project.id)

    accepted = api("previews.preview_create").sync(client=client, body=models.PreviewCreateInputRequest(
        project_id=project.id, preview_request=models.PreviewRequestBodyRequest(chapter_id=chapter_id)))
    preview = _finished(client, api("jobs.v1_jobs_retrieve"), accepted.job_id, timeout=120)
    assert isinstance(preview, models.PreviewJob) and preview.status.value == "succeeded", preview.error
    refused = api("jobs.v1_jobs_destroy").sync(accepted.job_id, client=client)  # a finished job
    assert isinstance(refused, models.ErrorResponse) and refused.error.code == "job_finished"
    missing = api("projects.projects_retrieve").sync(project.id + 1000, client=client)
    assert isinstance(missing, models.ErrorResponse) and missing.error.code == "not_found"
    preview_mp4 = tmp_path / "preview.mp4"
    preview_mp4.write_bytes(api("previews.preview_artifact_retrieve").sync(accepted.job_id, client=client)
                            .payload.read())
    assert probe.probe(str(preview_mp4), demuxer="mp4", max_streams=4).first("video") is not None

    started = api("videos.videos_generate_create").sync(client=client, body=models.VideoGenerateInputRequest(
        project_id=project.id, chapter_id=chapter_id, resolution=models.ResolutionEnum("480p")))
    job = _finished(client, api("jobs.v1_jobs_retrieve"), started.job_id, timeout=240)
    assert isinstance(job, models.VideoJob) and job.status.value == "succeeded", job.to_dict()
    video = api("videos.videos_retrieve").sync(started.video_id, client=client)
    assert (video.languages, video.renditions.audio, video.superseded) == (["en"], ["en"], False)
    mp4 = tmp_path / "video.mp4"
    mp4.write_bytes(api("videos.videos_download_retrieve").sync(started.video_id, client=client).payload.read())
    info = probe.probe(str(mp4), demuxer="mp4", max_streams=8)
    picture, sound = info.first("video"), info.first("audio")
    assert (picture.codec, picture.height, sound.codec) == ("h264", 480, "aac")
    assert info.duration == pytest.approx(video.duration, abs=0.2) and info.duration > 2
