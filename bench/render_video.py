"""Full video generation speed: the pipeline (plan → narrate → captions → render → mix → package)
against one hand-written ffmpeg command.

Standalone script, not a test: `.venv/bin/python bench/render_video.py` from the repo root.

A chapter of 6 screenshot steps (captions, English and German narration by eSpeak NG, 0.5 s
dissolves) becomes a 720p video with en+de audio through run_job(), in this process: cold
(Segment and TTS caches emptied before each run, best of 3), then after a one-step caption edit
(warm caches, a new caption each time, best of 3). The baseline renders the same picture with the
English narration, loudness-normalised, in one ffmpeg process (best of 3). Everything goes to a
throwaway DATA_DIR removed at the end.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parent.parent
RUNS = 3
HEIGHT = 720
LANGUAGES = ["en", "de"]
STEP_SECONDS, TRANSITION, EDITED = 5.5, 0.5, 2
CAPTIONS = [
    "Open the dashboard and pick your workspace",
    "Click New project in the top right corner",
    "Name the project and choose a template",
    "Invite your teammates by email",
    "Upload the first batch of screenshots",
    "Press Publish: the chapter is ready to share",
]
NARRATION = [
    {"en": "Open the dashboard and pick your workspace.",
     "de": "Öffnen Sie das Dashboard und wählen Sie Ihren Arbeitsbereich."},
    {"en": "Click New project in the top right corner.", "de": "Klicken Sie oben rechts auf Neues Projekt."},
    {"en": "Give it a name. Then choose a template.", "de": "Geben Sie ihm einen Namen. Wählen Sie dann eine Vorlage."},
    {"en": "Invite your teammates by email.", "de": "Laden Sie Ihr Team per E-Mail ein."},
    {"en": "Upload the first batch of screenshots.", "de": "Laden Sie die ersten Bildschirmfotos hoch."},
    {"en": "Press Publish. Your chapter is ready to share.", "de": "Drücken Sie Veröffentlichen. Fertig."},
]


def screenshot(i: int) -> Image.Image:
    """A 1920x1080 UI-like picture: header, sidebar, cards, buttons and text (flat colours)."""
    accent = [(52, 120, 246), (16, 163, 127), (234, 88, 12), (147, 51, 234), (220, 38, 38), (8, 145, 178)][i]
    img = Image.new("RGB", (1920, 1080), (245, 246, 248))
    draw = ImageDraw.Draw(img)
    font, small = ImageFont.load_default(size=34), ImageFont.load_default(size=22)
    draw.rectangle((0, 0, 1920, 72), fill=(33, 37, 41))
    draw.text((32, 18), f"Contentizer  /  Step {i + 1}", font=font, fill="white")
    draw.rectangle((0, 72, 300, 1080), fill=(228, 231, 235))
    for row in range(9):
        draw.rounded_rectangle((24, 110 + row * 64, 276, 154 + row * 64), radius=8,
                               fill=accent if row == i else (200, 204, 210))
        draw.text((40, 118 + row * 64), f"Menu item {row + 1}", font=small, fill=(20, 20, 20))
    for col in range(3):
        for row in range(2):
            x, y = 360 + col * 510, 130 + row * 430
            draw.rounded_rectangle((x, y, x + 470, y + 390), radius=14, fill="white", outline=(210, 214, 220), width=2)
            draw.rectangle((x + 24, y + 24, x + 446, y + 200), fill=tuple(min(255, c + 60 * row) for c in accent))
            draw.text((x + 24, y + 220), f"Card {row * 3 + col + 1}: quarterly report", font=small, fill=(30, 30, 30))
            draw.text((x + 24, y + 260), "Updated 3 minutes ago by Alex", font=small, fill=(120, 120, 120))
            draw.rounded_rectangle((x + 24, y + 320, x + 184, y + 366), radius=8, fill=accent)
            draw.text((x + 48, y + 330), "Open", font=small, fill="white")
    return img


def make_chapter():
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from assets.services import asset_ingest
    from contentizer import services

    user = get_user_model().objects.create_user("bench", password="bench-only")  # noqa: S106
    project = services.project_create(owner=user, title="Render bench")
    chapter = services.chapter_create(project=project, title="Getting started")
    for i in range(len(CAPTIONS)):
        buffer = io.BytesIO()
        screenshot(i).save(buffer, format="PNG")
        upload = TemporaryUploadedFile(f"step-{i + 1}.png", "image/png", buffer.tell(), None)
        upload.write(buffer.getvalue())
        upload.flush()
        asset = asset_ingest(project=project, upload=upload).asset
        services.step_create(chapter=chapter, caption=CAPTIONS[i], narration=NARRATION[i], asset=asset,
                             duration=STEP_SECONDS, transition="dissolve", transition_duration=TRANSITION)
    return user, project, chapter


def clear_caches() -> None:
    from contentizer.storage import delete_tree
    from previews.models import Segment

    Segment.objects.all().delete()
    delete_tree("videos/cache")


def check_mp4(path: Path, expected: float, audio_streams: int, label: str) -> list[str]:
    with av.open(str(path)) as container:
        video = [s.codec_context.name for s in container.streams.video]
        audio = [s.codec_context.name for s in container.streams.audio]
        duration = container.duration / av.time_base
    problems = []
    if video != ["h264"] or audio != ["aac"] * audio_streams:
        problems.append(f"{label}: streams video {video}, audio {audio}")
    if abs(duration - expected) > 0.1:
        problems.append(f"{label}: lasts {duration:.3f}s instead of {expected:.3f}s")
    return problems


def generate(user, project, chapter, label: str, problems: list[str]) -> dict:
    from django.core.files.storage import default_storage

    from contentizer.jobs.runner import run_job
    from previews.models import StageRun
    from previews.pipeline import STAGES, video_request

    video = video_request(owner=user, project=project, chapter=chapter, height=HEIGHT, languages=LANGUAGES, music=None)
    started = time.perf_counter()
    status = run_job(str(video.job_id))
    wall = time.perf_counter() - started
    video.refresh_from_db()
    if status != "succeeded":
        raise RuntimeError(f"{label}: job {status}: {video.job.error}")
    runs = {r.stage: r for r in StageRun.objects.filter(job_id=video.job_id)}
    problems += check_mp4(Path(default_storage.path(video.mp4_key)), video.duration, len(LANGUAGES), label)
    return {"wall": wall, "duration": video.duration, "stages": {s: runs[s].duration for s in STAGES},
            "outputs": {s: runs[s].outputs for s in STAGES}}


def baseline_argv(binary: str, shots: list[Path], overlays: list[Path], voices: list[tuple[Path, float]],
                  durations: list[float], starts: list[float], width: int, height: int, fps: int,
                  out: Path) -> list[str]:
    """One hand-written command: scenes with caption overlays, dissolves, narration, loudnorm, encode."""
    total, last = starts[-1] + durations[-1], len(shots) - 1
    bounds = [(round(s * fps), round((s + d) * fps)) for s, d in zip(starts, durations, strict=True)]
    ins, graph, pieces = [], [], []
    for i, shot in enumerate(shots):
        ins += ["-f", "image2", "-framerate", str(fps), "-i", str(shot), "-f", "image2", "-i", str(overlays[i])]
        head = bounds[i - 1][1] - bounds[i][0] if i else 0
        tail = bounds[i][1] - bounds[i + 1][0] if i < last else 0
        segs = [(n, f) for n, f in (("h", head), ("b", bounds[i][1] - bounds[i][0] - head - tail), ("t", tail)) if f]
        graph.append(
            f"[{2 * i}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1[s{i}];"
            f"[s{i}][{2 * i + 1}:v]overlay=0:0,format=yuv420p,split={len(segs)}{''.join(f'[{n}{i}i]' for n, _ in segs)}"
        )
        graph += [f"[{n}{i}i]loop=loop={f - 1}:size=1:start=0,setpts=N/{fps}/TB[{n}{i}]" for n, f in segs]
        if i:
            graph.append(f"[t{i - 1}][h{i}]xfade=transition=dissolve:duration={head / fps:.6f}:offset=0[x{i}]")
            pieces.append(f"[x{i}]")
        pieces.append(f"[b{i}]")
    graph.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0[v]")
    bed = 2 * len(shots)
    ins += ["-f", "lavfi", "-t", f"{total:.6f}", "-i", "anullsrc=r=48000:cl=stereo"]
    tracks = [f"[{bed}:a]"]
    for n, (path, start) in enumerate(voices, start=bed + 1):
        ins += ["-f", "wav", "-i", str(path)]
        graph.append(f"[{n}:a]aresample=48000,aformat=channel_layouts=stereo,"
                     f"adelay=delays={round(start * 1000)}:all=1[n{n}]")
        tracks.append(f"[n{n}]")
    graph.append(f"{''.join(tracks)}amix=inputs={len(tracks)}:duration=first:normalize=0,"
                 "loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000[a]")
    return [binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *ins,
            "-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-r", str(fps),
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-movflags", "+faststart", "-t", f"{total:.6f}",
            "-f", "mp4", str(out)]


def baseline(cold: dict, work: Path, problems: list[str]) -> float:
    from django.core.files.storage import default_storage

    from assets.models import Blob
    from contentizer.media import ffmpeg
    from previews import cards
    from previews.compile import output_for
    from previews.timeline import Output

    out = Output(**output_for(HEIGHT))
    steps, captions = cold["outputs"]["plan"]["steps"], cold["outputs"]["captions"]
    durations, starts = captions["durations"], captions["starts"]
    shots = [Path(default_storage.path(Blob.objects.get(sha256=s["asset"]).storage_key)) for s in steps]
    overlays = [cards.caption_overlay(s["caption"], out, work / f"caption-{i}.png") for i, s in enumerate(steps)]
    english = cold["outputs"]["narrate"]["voices"]["en"]
    voices = [(work / f"en-{i}.wav", starts[i]) for i, v in enumerate(english) if v]
    mp4 = work / "baseline.mp4"
    argv = baseline_argv(ffmpeg.binary(), shots, overlays, voices, durations, starts, out.width, out.height,
                         out.fps, mp4)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, check=True)
        times.append(time.perf_counter() - started)
    problems += check_mp4(mp4, cold["duration"], 1, "baseline")
    return min(times)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="video-bench-"))
    problems: list[str] = []
    try:
        os.environ["DJANGO_SETTINGS_MODULE"] = "contentizer.settings"
        os.environ["DATA_DIR"] = str(tmp / "data")
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from django.core.files.storage import default_storage
        from django.core.management import call_command

        from contentizer.media import ffmpeg
        from contentizer.models import Step
        from previews.pipeline import STAGES

        call_command("migrate", verbosity=0)
        print(f"ffmpeg: {ffmpeg.binary()}\ncpus: {os.cpu_count()}  steps: {len(CAPTIONS)} x {STEP_SECONDS} s, "
              f"dissolve {TRANSITION} s, {HEIGHT}p, languages {LANGUAGES}")
        user, project, chapter = make_chapter()
        colds = []
        for n in range(RUNS):
            clear_caches()
            colds.append(generate(user, project, chapter, f"cold run {n + 1}", problems))
        cold = min(colds, key=lambda r: r["wall"])
        work = tmp / "baseline"
        work.mkdir()
        for i, voice in enumerate(cold["outputs"]["narrate"]["voices"]["en"]):  # still in the TTS cache
            if voice:
                shutil.copyfile(default_storage.path(voice["key"]), work / f"en-{i}.wav")
        step = Step.objects.get(chapter=chapter, position=EDITED)
        edits = []
        for n in range(RUNS):
            step.caption = f"{CAPTIONS[EDITED]} (revision {n + 1})"
            step.save(update_fields=["caption", "updated_at"])
            edits.append(generate(user, project, chapter, f"edit run {n + 1}", problems))
        edit = min(edits, key=lambda r: r["wall"])
        render = edit["outputs"]["render"]
        if not render["rendered"] < render["reused"]:
            problems.append(f"edit run re-rendered {render['rendered']} pieces, reused only {render['reused']}")
        base = baseline(cold, work, problems)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    duration, full, stages = cold["duration"], cold["wall"], cold["stages"]
    print(f"\nscene durations: {cold['outputs']['captions']['durations']}")
    print(f"video duration: {duration:.3f} s")
    print(f"full pipeline wall (cold, best of {RUNS}): {full:.3f} s = {duration / full:.2f}x real time "
          f"(all runs: {', '.join(format(r['wall'], '.3f') for r in colds)})")
    for stage in STAGES:
        print(f"  {stage:<9} {stages[stage]:7.3f} s  {100 * stages[stage] / full:5.1f}%")
    print(f"  (outside stages: {full - sum(stages.values()):.3f} s)")
    print(f"render stage: {stages['render']:.3f} s ({cold['outputs']['render']['pieces']} pieces)")
    print(f"one-step edit wall (best of {RUNS}): {edit['wall']:.3f} s = {edit['wall'] / full:.3f} of full; "
          f"render stage {edit['stages']['render']:.3f} s, rendered {render['rendered']}, reused {render['reused']}")
    print("  edit stages: " + ", ".join(f"{s} {edit['stages'][s]:.3f}" for s in STAGES))
    print(f"baseline wall (best of {RUNS}): {base:.3f} s = {duration / base:.2f}x real time")
    print(f"ratio render_stage/baseline: {stages['render'] / base:.3f}")
    print(f"ratio full_pipeline/baseline: {full / base:.3f}")
    print(f"checks: {'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
    print("\n| video s | full s | x real time | render s | edit s | edit/full | rendered/reused | baseline s "
          "| render/base | full/base |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {duration:.3f} | {full:.3f} | {duration / full:.2f} | {stages['render']:.3f} | {edit['wall']:.3f} "
          f"| {edit['wall'] / full:.3f} | {render['rendered']}/{render['reused']} | {base:.3f} "
          f"| {stages['render'] / base:.3f} | {full / base:.3f} |")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
