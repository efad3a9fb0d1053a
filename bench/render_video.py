"""Full video speed: the pipeline (plan → narrate → captions → render → mix → package) against one ffmpeg command.

Standalone script, not a test: `.venv/bin/python bench/render_video.py` from the repo root. A chapter of 6
screenshot steps (captions, en+de eSpeak narration, 0.5 s dissolves) becomes a 720p video through run_job() in this
process: cold (Segment and TTS caches emptied, best of 3), then after a one-step caption edit (warm caches, best of
3). The baseline renders the same picture with the English narration in one ffmpeg process (best of 3).
Everything goes to a throwaway DATA_DIR removed at the end.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
from render_preview import CAPTIONS, screenshot  # the same 1920x1080 UI-like screenshots and captions

REPO = Path(__file__).resolve().parent.parent
RUNS = 3
HEIGHT = 720
LANGUAGES = ["en", "de"]
STEP_SECONDS, TRANSITION, EDITED = 5.5, 0.5, 2
NARRATION = [
    {"en": "Open the dashboard and pick your workspace.",
     "de": "Öffnen Sie das Dashboard und wählen Sie Ihren Arbeitsbereich."},
    {"en": "Click New project in the top right corner.", "de": "Klicken Sie oben rechts auf Neues Projekt."},
    {"en": "Give it a name. Then choose a template.", "de": "Geben Sie ihm einen Namen. Wählen Sie dann eine Vorlage."},
    {"en": "Invite your teammates by email.", "de": "Laden Sie Ihr Team per E-Mail ein."},
    {"en": "Upload the first batch of screenshots.", "de": "Laden Sie die ersten Bildschirmfotos hoch."},
    {"en": "Press Publish. Your chapter is ready to share.", "de": "Drücken Sie Veröffentlichen. Fertig."},
]


def make_chapter(work: Path):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from assets.services import asset_ingest
    from contentizer import services

    user = get_user_model().objects.create_user("bench", password="bench-only")  # noqa: S106
    project = services.project_create(owner=user, title="Render bench")
    chapter = services.chapter_create(project=project, title="Getting started")
    for i in range(len(CAPTIONS)):
        screenshot(i, work / f"step-{i + 1}.png")
        png = (work / f"step-{i + 1}.png").read_bytes()
        upload = TemporaryUploadedFile(f"step-{i + 1}.png", "image/png", len(png), None)
        upload.write(png)
        upload.flush()
        asset = asset_ingest(project=project, upload=upload).asset
        services.step_create(chapter=chapter, caption=CAPTIONS[i], narration=NARRATION[i], asset=asset,
                             duration=STEP_SECONDS, transition="dissolve", transition_duration=TRANSITION)
    return user, project, chapter


def cpu_seconds() -> float:
    """CPU used by this process and its finished children (ffmpeg): steadier than wall time on a busy machine."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


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
    from previews.pipeline import STAGES, video_request

    from contentizer.jobs.runner import run_job
    from previews.models import StageRun

    video = video_request(owner=user, project=project, chapter=chapter, height=HEIGHT, languages=LANGUAGES, music=None)
    started, cpu = time.perf_counter(), cpu_seconds()
    status = run_job(str(video.job_id))
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    video.refresh_from_db()
    if status != "succeeded":
        raise RuntimeError(f"{label}: job {status}: {video.job.error}")
    runs = {r.stage: r for r in StageRun.objects.filter(job_id=video.job_id)}
    problems += check_mp4(Path(default_storage.path(video.mp4_key)), video.duration, len(LANGUAGES), label)
    return {"wall": wall, "cpu": cpu, "duration": video.duration, "stages": {s: runs[s].duration for s in STAGES},
            "outputs": {s: runs[s].outputs for s in STAGES}}


def baseline_argv(binary: str, shots: list[Path], overlays: list[Path], voices: list[tuple[str, float]],
                  durations: list[float], starts: list[float], output, out: Path) -> list[str]:
    """One hand-written command: scenes with caption overlays, dissolves, narration, loudnorm, encode."""
    width, height, fps = output.width, output.height, output.fps
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
        ins += ["-f", "wav", "-i", path]
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


def baseline(cold: dict, work: Path, problems: list[str]) -> tuple[float, float]:
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
    english = cold["outputs"]["narrate"]["voices"]["en"]  # still in the TTS cache: the edit runs reused them
    voices = [(default_storage.path(v["key"]), starts[i]) for i, v in enumerate(english) if v]
    mp4 = work / "baseline.mp4"
    argv = baseline_argv(ffmpeg.binary(), shots, overlays, voices, durations, starts, out, mp4)
    times = []
    for _ in range(RUNS):
        started, cpu = time.perf_counter(), cpu_seconds()
        subprocess.run(argv, check=True)
        times.append((time.perf_counter() - started, cpu_seconds() - cpu))
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
        from django.core.management import call_command
        from previews.pipeline import STAGES

        from contentizer.media import ffmpeg
        from contentizer.models import Step
        from contentizer.storage import delete_tree
        from previews.models import Segment

        logging.disable(logging.INFO)  # the pipeline's JSON log lines
        call_command("migrate", verbosity=0)
        print(f"ffmpeg: {ffmpeg.binary()}\ncpus: {os.cpu_count()}  steps: {len(CAPTIONS)} x {STEP_SECONDS} s, "
              f"dissolve {TRANSITION} s, {HEIGHT}p, languages {LANGUAGES}")
        (tmp / "baseline").mkdir()
        user, project, chapter = make_chapter(tmp / "baseline")
        colds = []
        for n in range(RUNS):
            Segment.objects.all().delete()  # cold: no rendered pieces, speech or mixes
            delete_tree("videos/cache")
            colds.append(generate(user, project, chapter, f"cold run {n + 1}", problems))
        cold = min(colds, key=lambda r: r["wall"])
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
        base, base_cpu = baseline(cold, tmp / "baseline", problems)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    duration, full, stages = cold["duration"], cold["wall"], cold["stages"]
    print(f"\nvideo duration: {duration:.3f} s (scenes {cold['outputs']['captions']['durations']})")
    print(f"full pipeline wall (cold, best of {RUNS}): {full:.3f} s = {duration / full:.2f}x real time "
          f"(all runs: {', '.join(format(r['wall'], '.3f') for r in colds)}); cpu {cold['cpu']:.3f} s")
    for stage in STAGES:
        print(f"  {stage:<9} {stages[stage]:7.3f} s  {100 * stages[stage] / full:5.1f}%")
    print(f"  (outside stages: {full - sum(stages.values()):.3f} s)")
    print(f"render stage: {stages['render']:.3f} s ({cold['outputs']['render']['pieces']} pieces)")
    print(f"one-step edit wall (best of {RUNS}): {edit['wall']:.3f} s = {edit['wall'] / full:.3f} of full; "
          f"cpu {edit['cpu']:.3f} s; render stage {edit['stages']['render']:.3f} s, rendered {render['rendered']}, "
          f"reused {render['reused']}")
    print("  edit stages: " + ", ".join(f"{s} {edit['stages'][s]:.3f}" for s in STAGES)
          + f"; languages mixed again: {edit['outputs']['mix'].get('mixed', 'n/a')}")
    print(f"baseline wall (best of {RUNS}): {base:.3f} s = {duration / base:.2f}x real time; cpu {base_cpu:.3f} s")
    print(f"ratio render_stage/baseline: {stages['render'] / base:.3f}; full_pipeline/baseline: {full / base:.3f}; "
          f"cpu full_pipeline/baseline: {cold['cpu'] / base_cpu:.3f}")
    print(f"checks: {'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
    print("\n| video s | full s | x real time | render s | edit s | edit/full | rendered/reused | baseline s "
          "| render/base | full/base | cpu full/base |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {duration:.3f} | {full:.3f} | {duration / full:.2f} | {stages['render']:.3f} | {edit['wall']:.3f} "
          f"| {edit['wall'] / full:.3f} | {render['rendered']}/{render['reused']} | {base:.3f} "
          f"| {stages['render'] / base:.3f} | {full / base:.3f} | {cold['cpu'] / base_cpu:.3f} |")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
