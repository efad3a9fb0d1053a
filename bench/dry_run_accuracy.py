"""How close the dry run's estimate is to the real video's length, on three different chapters.

Standalone script, not a test: `.venv/bin/python bench/dry_run_accuracy.py` from the repo root.

For each chapter, A is the dry run as a client asks for it (POST /api/preview with the chapter and
dryRun, then GET its JSON manifest: `duration` and each scene's start), B is the real thing: the
video generated through the real job path (`video_request`, then `run_job` as a worker's task calls
it: plan, narrate, captions, render, package) and its MP4's duration probed with PyAV. The chapters:
  1. short, cuts: 3 steps (1 s, 2 s, 1 s), English narration on the first and the third, shorter than
     what is said, so the narration sets the length;
  2. long, transitions: 7 steps of 3 s, cross-fades, dissolves and wipes of 0.5-1 s, narration of one to
     three sentences with numbers, units and shortcuts (the normaliser says "15 MB" in words) on 5 steps;
  3. bilingual and recorded: a project in English and German (both in the video, the dry run times the
     first language as the preview does), 4 steps, one of them narrated by the author's recording (a WAV
     with half a second of room tone first) instead of the voice, fade-through-black transitions.
Prints per chapter the estimate, the real duration, the error in % (the issue's bar: within 5 %) and how
far the scene starts are apart at most, and how long the dry run's request took (the first request of the
chapter: the speech cache is cold, so it says every text itself); then the median error. Accuracy, not
speed: no pairs, nothing timed against a baseline. A throwaway DATA_DIR is removed at the end.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_preview import ingest, setup_django  # noqa: E402 - the bench's own helpers, beside it

CHAPTERS = {
    "short, cuts": {"languages": ["en"], "steps": [
        {"duration": 1.0, "transition": "cut", "narration": {"en": "Open the settings and choose your language."}},
        {"duration": 2.0, "transition": "cut"},
        {"duration": 1.0, "transition": "cut", "narration": {"en": "Save your changes."}},
    ]},
    "long, transitions": {"languages": ["en"], "steps": [
        {"duration": 3.0, "transition": "crossfade", "transition_duration": 0.5,
         "narration": {"en": "Open the dashboard and pick the workspace you want to record."}},
        {"duration": 3.0, "transition": "dissolve", "transition_duration": 1.0,
         "narration": {"en": "Upload your screenshots. Each file may be up to 15 MB, and PNG or JPEG both work."}},
        {"duration": 3.0, "transition": "wipeleft", "transition_duration": 0.5},
        {"duration": 3.0, "transition": "crossfade", "transition_duration": 0.5,
         "narration": {"en": "Press Ctrl+S to save. The chapter keeps every step you wrote, in the order you "
                             "see here. Preview it before you generate the video."}},
        {"duration": 3.0, "transition": "slideleft", "transition_duration": 0.75},
        {"duration": 3.0, "transition": "crossfade", "transition_duration": 0.5,
         "narration": {"en": "Share the link."}},
        {"duration": 3.0, "transition": "cut",
         "narration": {"en": "The finished video has one audio track and one subtitle track for each language."}},
    ]},
    "bilingual, recorded": {"languages": ["en", "de"], "steps": [
        {"duration": 2.0, "transition": "fadeblack", "transition_duration": 0.5,
         "narration": {"en": "Click New project in the top right corner.",
                       "de": "Klicken Sie oben rechts auf Neues Projekt."}},
        {"duration": 2.0, "transition": "fadeblack", "transition_duration": 0.5, "recorded": "en",
         "narration": {"en": "Give the project a short name.", "de": "Geben Sie dem Projekt einen kurzen Namen."}},
        {"duration": 4.0, "transition": "crossfade", "transition_duration": 0.5,
         "narration": {"en": "Invite your team.", "de": "Laden Sie Ihr Team ein."}},
        {"duration": 1.5, "transition": "cut",
         "narration": {"en": "Write one sentence of narration for every step, in every language you publish.",
                       "de": "Schreiben Sie für jeden Schritt einen Satz, in jeder Sprache, die Sie veröffentlichen."}},
    ]},
}


def picture(i: int, path: Path) -> Path:
    image = Image.new("RGB", (1280, 720), (236, 239, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 1280, 60], fill=(40, 44, 52))
    draw.rectangle([0, 60, 240, 720], fill=[(52, 120, 246), (230, 126, 34), (46, 160, 67)][i % 3])
    draw.text((300, 120 + 40 * (i % 5)), f"Step {i + 1}: a form with a few fields", fill="black", font_size=36)
    image.save(path, format="PNG")
    return path


def recording(text: str, path: Path) -> Path:
    """The author's voice, as a recorder keeps it: half a second of room tone, then the sentence."""
    from previews import tts

    said = tts.voice_sample(voice=tts.default_voice("en"), text=text, rate=0.9, language="en", entries=[])
    with wave.open(io.BytesIO(said)) as src:
        rate, samples = src.getframerate(), np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
    tone = (np.random.default_rng(7).normal(0, 30, rate // 2)).astype("<i2")
    with wave.open(str(path), "wb") as dst:
        dst.setnchannels(1)
        dst.setsampwidth(2)
        dst.setframerate(rate)
        dst.writeframes(np.concatenate([tone, samples]).tobytes())
    return path


def make_chapter(user, name: str, spec: dict, work: Path):
    from contentizer import services
    from previews.recordings.narration import step_recording_attach

    project = services.project_create(owner=user, title=name, languages=spec["languages"])
    chapter = services.chapter_create(project=project, title=name)
    for i, step in enumerate(spec["steps"]):
        asset = ingest(project, picture(i, work / f"{name[:5]}-{i}.png"), "image/png")
        made = services.step_create(
            chapter=chapter, caption={"en": f"Step {i + 1}"}, narration=step.get("narration", {}), asset=asset,
            duration=step["duration"], transition=step["transition"],
            transition_duration=step.get("transition_duration", 0.0))
        if language := step.get("recorded"):
            wav = recording(step["narration"][language], work / f"recording-{i}.wav")
            step_recording_attach(owner=user, step=made, language=language,
                                  asset=ingest(project, wav, "audio/wav"))
    return project, chapter


def dry_run(client, project, chapter) -> dict:
    accepted = client.post("/api/preview", {"projectId": project.pk, "dryRun": True,
                                            "previewRequest": {"chapterId": chapter.pk}}, format="json")
    assert accepted.status_code == 202, accepted.content
    artifact = client.get(f"/api/preview/{accepted.json()['jobId']}/artifact")
    return json.loads(b"".join(artifact.streaming_content))


def real_video(user, project, chapter) -> tuple[float, list[float], dict[str, float]]:
    """The first language's MP4 probed, its scene starts, and every language's picture's length."""
    from django.core.files.storage import default_storage

    from contentizer.jobs.runner import run_job
    from previews.compile import Format
    from previews.videos.services import video_request

    video = video_request(owner=user, project=project, chapter=chapter, fmt=Format(resolution=480),
                          languages=project.languages, music=None)
    assert run_job(str(video.job.pk)) == "succeeded", video.job.__class__.objects.get(pk=video.job.pk).error
    video.refresh_from_db()
    with av.open(default_storage.path(video.mp4_key)) as container:
        probed = container.duration / av.time_base
    lengths = {lang: picture["duration"] for lang, picture in video.pictures.items()}
    return probed, video.picture(project.languages[0])["starts"], lengths


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="dry-run-bench-"))
    setup_django(tmp / "data")
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_user("bench", password="bench-only")  # noqa: S106
    client = APIClient()
    client.force_authenticate(user)
    work = tmp / "work"
    work.mkdir()
    errors, failed = [], False
    warm_up = {"languages": ["en"], "steps": [{"duration": 1.0, "transition": "cut", "narration": {"en": "Hello."}}]}
    dry_run(client, *make_chapter(user, "warm-up", warm_up, work))  # imports and the voice's first start
    print(f"{'chapter':22} {'steps':>5} {'estimate':>9} {'real':>9} {'error':>8} {'starts off by':>14} "
          f"{'dry run took':>13}  pictures")
    for name, spec in CHAPTERS.items():
        project, chapter = make_chapter(user, name, spec, work)
        started = time.perf_counter()
        manifest = dry_run(client, project, chapter)  # the first: it says the texts itself (the cache is cold)
        asked = time.perf_counter() - started
        real, starts, lengths = real_video(user, project, chapter)
        estimate = manifest["duration"]
        error = 100 * (estimate - real) / real
        off = max(abs(scene["start"] - start) for scene, start in zip(manifest["scenes"], starts, strict=True))
        errors.append(abs(error))
        failed |= abs(error) > 5
        print(f"{name:22} {len(spec['steps']):>5} {estimate:>8.3f}s {real:>8.3f}s {error:>+7.2f}% {off:>13.3f}s "
              f"{asked:>12.3f}s  "
              + ", ".join(f"{lang} {seconds:.3f}s" for lang, seconds in lengths.items()))
    print(f"median |error| {statistics.median(errors):.2f} % (min {min(errors):.2f}, max {max(errors):.2f}); "
          f"bar: within 5 % -> {'FAILED' if failed else 'OK'}")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
