"""Dubbing speed: the time of each stage (asr → translate → speak → mix → package) for a recording of about
30 seconds and one of about 5 minutes, dubbed from English into Portuguese (Brazil) with the bundled
models, and what a one-segment edit costs.

Standalone script, not a test: `.venv/bin/python bench/dub.py [--seconds 30 300]` from the repo root.

Each recording is the tests' own (tests/previews/recording.py: a screen-like 360p H.264/AAC MP4 of the
bundled English voice reading the tutorial sentences, repeated until it lasts the length asked for, 0.8 s
between sentences). It is ingested as an asset and dubbed through `dub_request` and `run_job()` in this
process (cold caches). Then one segment's translation is edited and the dub resumed from `speak` (warm: one
clip synthesised, the recording's own picture reused). Printed per recording: its length, each stage's
seconds, the whole job's, the recognition word error rate against the sentences read, how many segments
there are, how many were sped up and how much the dubbed picture grew; then the resume's stages.
Everything goes to a throwaway DATA_DIR removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

from render_preview import ingest, setup_django  # noqa: E402

STAGES = ("asr", "translate", "speak", "mix", "package")


def sentences_for(seconds: float) -> list[str]:
    from tests.previews.speech import TUTORIAL_SENTENCES

    # about 4.5 s a sentence with its pause
    count = max(1, round(seconds / 4.5))
    return [TUTORIAL_SENTENCES[i % len(TUTORIAL_SENTENCES)] for i in range(count)]


def stage_seconds(job_id, attempt: int) -> dict[str, tuple[str, float]]:
    from contentizer.jobs.models import StageRun

    return {run.stage: (run.status, run.duration or 0.0)
            for run in StageRun.objects.filter(job_id=job_id, attempt=attempt)}


def run(job_id) -> float:
    from contentizer.jobs.runner import run_job

    started = time.perf_counter()
    status = run_job(str(job_id))
    if status != "succeeded":
        from contentizer.jobs.models import Job

        raise SystemExit(f"the dub job {status}: {Job.objects.get(pk=job_id).error}")
    return time.perf_counter() - started


def word_error_rate(dub, spoken: list[str]) -> float:
    import jiwer

    from tests.previews.speech import comparable

    return jiwer.wer(comparable(" ".join(spoken)), comparable(" ".join(s["text"] for s in dub.segments)))


def bench(seconds: float, work: Path, user) -> None:
    from contentizer import services
    from contentizer.jobs.models import Job
    from previews.dubs import services as dubs
    from previews.models import Dub
    from tests.previews.recording import make_recording

    spoken = sentences_for(seconds)
    recording = make_recording(work / f"recording-{seconds:g}", spoken)
    project = services.project_create(owner=user, title=f"Dub bench {seconds:g}s")
    asset = ingest(project, recording.path, "video/mp4")
    dub = dubs.dub_request(owner=user, project=project, asset=asset, source_language="en",
                           target_languages=["pt-BR"], voices={})
    total = run(dub.job_id)
    dub.refresh_from_db()
    stages = stage_seconds(dub.job_id, 1)
    print(f"\nrecording {recording.duration:.1f} s, {len(spoken)} sentences, {len(dub.segments)} segments")
    print("  " + "  ".join(f"{s} {stages[s][1]:.1f} s" for s in STAGES) + f"  | job {total:.1f} s")
    print(f"  recognition WER {word_error_rate(dub, spoken):.3f}; sped up {dub.segments_sped_up} of "
          f"{len(dub.segments)} segments; the dubbed picture {dub.grown_seconds:.2f} s longer")

    middle = dub.segments[len(dub.segments) // 2]
    dubs.dub_segment_edit(dub=dub, index=middle["index"],
                          translations={"pt-BR": middle["translations"]["pt-BR"]["text"] + " Pronto."})
    dubs.dub_resume(dub=Dub.objects.get(pk=dub.pk), resume_from="speak")
    again = run(dub.job_id)
    attempt = Job.objects.get(pk=dub.job_id).attempts
    stages = stage_seconds(dub.job_id, attempt)
    print("  one translation edited, resumed from speak: " + "  ".join(
        f"{s} {stages[s][1]:.1f} s ({stages[s][0]})" for s in STAGES) + f"  | job {again:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[30, 300])
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="dub-bench-"))
    try:
        setup_django(data_dir)
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user("dub-bench", password="bench-only")  # noqa: S106
        for seconds in args.seconds:
            bench(seconds, data_dir / "work", user)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
