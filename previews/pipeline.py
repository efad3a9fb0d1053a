"""Full video generation: plan → narrate → captions → render → mix → package.

Each stage is keyed by a hash of its inputs and recorded as a StageRun with its outputs (keys in
storage, so any worker can pick up where another left off). A retry reuses every stage whose
inputs are unchanged and whose outputs still exist; `resumeFrom` forces a stage and those after
it to run again while reusing the ones before. Rendering is incremental: the video is assembled
from pieces (scene bodies, transitions) cached by content, so a one-step edit re-encodes only
the pieces that step shapes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta
from pathlib import Path
from typing import Any

import iso639
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from assets.models import Asset, Blob
from assets.sniffing import demuxer_for
from contentizer import logs
from contentizer.api.errors import ApiError, UnprocessableEntity
from contentizer.jobs import services as jobs
from contentizer.jobs.errors import PermanentJobError, TransientJobError
from contentizer.jobs.models import Job
from contentizer.jobs.runner import JobContext
from contentizer.media import compose, ffmpeg, probe
from contentizer.media.compose import Clip, Composition, Media
from contentizer.models import Chapter, Project
from contentizer.storage import delete_tree, fetch, publish_file, trusted, walk
from previews import cards, subtitles, tts
from previews.compile import output_for
from previews.models import Segment, StageRun, StageStatus, Video
from previews.timeline import Output

logger = logging.getLogger(__name__)

KIND = "video"
STAGES = ("plan", "narrate", "captions", "render", "mix", "package")
WEIGHTS = {"plan": 2, "narrate": 13, "captions": 2, "render": 58, "mix": 12, "package": 13}
PAUSE = 0.6  # after the narration, before the next scene
HLS_SEGMENT_SECONDS = 4
LOUDNESS = -16.0


# --- request ---------------------------------------------------------------------------------

class QuotaExceeded(ApiError):
    status_code = 403
    default_code = "quota_exceeded"


def storage_usage(owner) -> int:
    blobs = Blob.objects.filter(assets__project__owner=owner).distinct().aggregate(n=Sum("size"))["n"] or 0
    videos = Video.objects.filter(owner=owner).aggregate(n=Sum("size"))["n"] or 0
    return blobs + videos


def _chapter_languages(chapter: Chapter) -> list[str]:
    found = sorted({lang for step in chapter.steps.all() for lang, text in step.narration.items() if text.strip()})
    return found or ["en"]


def _check_languages(chapter: Chapter, languages: list[str] | None) -> list[str]:
    if not languages:
        return _chapter_languages(chapter)
    if len({lang.lower() for lang in languages}) != len(languages):
        raise UnprocessableEntity("Each language may be asked for once.", code="invalid_languages",
                                  details={"languages": languages})
    engine = tts.engine()
    unsupported = [lang for lang in languages if not engine.supports(lang)]
    if unsupported:
        raise UnprocessableEntity(f"The speech engine {engine.name} cannot speak: {', '.join(unsupported)}.",
                                  code="unsupported_language", details={"languages": unsupported})
    narrated = {lang for step in chapter.steps.all() for lang, text in step.narration.items() if text.strip()}
    if narrated and (silent := [lang for lang in languages if lang not in narrated]):
        raise UnprocessableEntity(f"No step is narrated in: {', '.join(silent)}.", code="invalid_languages",
                                  details={"languages": silent, "narrated": sorted(narrated)})
    return languages


def video_request(
    *, owner, project: Project, chapter: Chapter, height: int, languages: list[str] | None,
    music: dict | None, request_id: str = "",
) -> Video:
    usage, quota = storage_usage(owner), settings.VIDEO_QUOTA_BYTES
    if usage >= quota:
        raise QuotaExceeded(
            f"Your storage quota of {quota} bytes is used up ({usage} bytes used); delete assets or videos first.",
            details={"quota": quota, "usage": usage},
        )
    if not chapter.steps.exists():
        raise UnprocessableEntity("The chapter has no steps.", code="invalid_timeline",
                                  details={"chapterId": chapter.pk})
    languages = _check_languages(chapter, languages)
    track = None
    if music:
        asset = Asset.objects.filter(project=project, pk=music["asset"], blob__kind="audio").first()
        if asset is None:
            raise UnprocessableEntity("music.asset is not an audio asset of this project.", code="invalid_timeline",
                                      details={"fields": {"music.asset": "not an audio asset of this project"}})
        track = {"sha256": asset.blob.sha256, "volume": music.get("volume", 0.3)}
    payload = {
        "traceId": logs.log_context().get("requestId"), "projectId": project.pk, "chapterId": chapter.pk,
        "height": height, "languages": languages, "music": track,
    }
    with transaction.atomic():
        job = jobs.job_submit(kind=KIND, owner=owner, project=project, payload=payload, request_id=request_id).job
        video, _ = Video.objects.get_or_create(job=job, defaults={
            "owner": owner, "project": project, "chapter": chapter, "height": height,
            "languages": payload["languages"], "music": track or {},
        })
    return video


# --- stage bookkeeping ------------------------------------------------------------------------

def chapter_state(chapter: Chapter) -> list[dict]:
    """Everything about a chapter's steps that shapes its video."""
    return [
        {"id": s.id, "caption": s.caption, "narration": s.narration, "duration": s.duration,
         "transition": s.transition, "transitionDuration": s.transition_duration,
         "asset": s.asset.blob.sha256 if s.asset else None}
        for s in chapter.steps.select_related("asset__blob").order_by("position")
    ]


def current_video(chapter: Chapter) -> Video | None:
    """The chapter's newest finished video, if it still matches the chapter's steps."""
    video = (Video.objects.filter(chapter=chapter, job__status="succeeded", superseded_at__isnull=True)
             .exclude(mp4_key="").order_by("-finished_at").first())
    if video is None or video.chapter_state != _hash(chapter_state(chapter)):
        return None
    return video


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _keys(outputs: Any) -> list[str]:
    """Storage keys mentioned anywhere in a stage's outputs (values under keys named *key)."""
    if isinstance(outputs, dict):
        return [k for name, value in outputs.items() for k in
                ([value] if name.lower().endswith("key") and isinstance(value, str) else _keys(value))]
    if isinstance(outputs, list):
        return [k for value in outputs for k in _keys(value)]
    return []


def _reusable(job: Job, stage: str, input_hash: str) -> StageRun | None:
    run = StageRun.objects.filter(
        job=job, stage=stage, input_hash=input_hash, status__in=[StageStatus.SUCCEEDED, StageStatus.REUSED]
    ).order_by("-id").first()
    if run and all(trusted(key) for key in _keys(run.outputs)):
        return run
    return None


class Pipeline:
    def __init__(self, ctx: JobContext) -> None:
        self.ctx, self.job = ctx, ctx.job
        video = Video.objects.select_related("chapter", "project").filter(job=self.job).first()
        if video is None:
            raise PermanentJobError("The chapter of this video was deleted.")
        self.video = video
        self.prefix = f"videos/{self.video.id}"
        self.outputs: dict[str, dict] = {}
        self.done_weight = 0.0

    def progress(self, stage: str, fraction: float) -> None:
        self.ctx.progress(min(99.0, self.done_weight + WEIGHTS[stage] * fraction), stage)

    def run(self) -> dict[str, Any]:
        resume = self.job.payload.get("resumeFrom")
        forced = STAGES.index(resume) if resume in STAGES else len(STAGES)
        for index, stage in enumerate(STAGES):
            self.ctx.check_cancelled()
            inputs = self.inputs(stage)
            input_hash = _hash(inputs)
            previous = _reusable(self.job, stage, input_hash) if index < forced or not resume else None
            if previous is not None:
                self.outputs[stage] = previous.outputs
                StageRun.objects.create(job=self.job, attempt=self.job.attempts, stage=stage, input_hash=input_hash,
                                        status=StageStatus.REUSED, outputs=previous.outputs,
                                        finished_at=timezone.now(), duration=0.0)
            else:
                self.outputs[stage] = self._run_stage(stage, inputs, input_hash)
            self.done_weight += WEIGHTS[stage]
        return {"videoId": str(self.video.id), **self.outputs["package"]}

    def _run_stage(self, stage: str, inputs: dict, input_hash: str) -> dict:
        run = StageRun.objects.create(job=self.job, attempt=self.job.attempts, stage=stage, input_hash=input_hash)
        started = time.monotonic()
        self.progress(stage, 0)
        try:
            outputs = getattr(self, f"stage_{stage}")(inputs)
        except BaseException as exc:
            cancelled = isinstance(exc, (ffmpeg.FFmpegCancelled,)) or type(exc).__name__ == "JobCancelled"
            run.status = StageStatus.CANCELLED if cancelled else StageStatus.FAILED
            run.error = str(exc)[:8000]
            self._close(run, started)
            raise
        run.status, run.outputs = StageStatus.SUCCEEDED, outputs
        self._close(run, started)
        logger.info("stage finished", extra={"event": "video.stage", "stage": stage,
                                             "duration": run.duration, "jobId": str(self.job.id)})
        return outputs

    def _close(self, run: StageRun, started: float) -> None:
        run.finished_at, run.duration = timezone.now(), round(time.monotonic() - started, 3)
        run.log = self.ctx.log_tail()[-4000:]
        run.save()

    def inputs(self, stage: str) -> dict:
        """What a stage depends on: its hash decides whether an earlier run can stand in."""
        versions = {"ffmpeg": ffmpeg.binary(), "tts": tts.engine().version if stage == "narrate" else None}
        earlier = {name: _hash(self.outputs[name]) for name in STAGES[: STAGES.index(stage)]}
        if stage == "mix":  # the audio does not depend on how the picture was assembled
            earlier["render"] = self.outputs["render"]["duration"]
        own = {"chapter": self._chapter_state(), "payload": {k: v for k, v in self.job.payload.items()
                                                             if k not in ("traceId", "resumeFrom")}}
        return {"stage": stage, "versions": versions, "earlier": earlier, **(own if stage == "plan" else {})}

    def _chapter_state(self) -> list[dict]:
        return chapter_state(self.video.chapter)

    def local(self, key: str, name: str) -> Path:
        return fetch(key, self.ctx.work_dir / name)

    def publish(self, key: str, path: Path) -> str:
        publish_file(key=key, path=path)
        return key

    def ff(self, args: list[str], stage: str, fraction: tuple[float, float] = (0.0, 1.0),
           seconds: float | None = None) -> None:
        low, high = fraction
        ffmpeg.run(args, timeout=settings.VIDEO_TIMEOUT_SECONDS, total_seconds=seconds,
                   log_path=str(self.ctx.log_path), should_cancel=self.ctx.cancelled,
                   on_progress=lambda p: self.progress(stage, low + (high - low) * p / 100))

    # --- stages --------------------------------------------------------------------------

    def stage_plan(self, inputs: dict) -> dict:
        steps = []
        for i, state in enumerate(inputs["chapter"]):
            label = f"step {i + 1} (id {state['id']})"
            kind = None
            if state["asset"]:
                blob = Blob.objects.filter(sha256=state["asset"]).first()
                if blob is None or not trusted(blob.storage_key, size=blob.size):
                    raise PermanentJobError(f"{label}: its asset {state['asset'][:12]}… is missing from storage.")
                kind = blob.kind
            steps.append({**state, "label": label, "assetKind": kind})
        payload = inputs["payload"]
        if payload.get("music") and not Blob.objects.filter(sha256=payload["music"]["sha256"]).exists():
            raise PermanentJobError("The music asset is missing from the store.")
        return {"steps": steps, "languages": payload["languages"], "height": payload["height"],
                "music": payload.get("music"), "chapterState": _hash(inputs["chapter"])}

    def stage_narrate(self, inputs: dict) -> dict:
        plan, engine = self.outputs["plan"], tts.engine()
        voices: dict[str, list] = {}
        texts = [(lang, i, step["narration"].get(lang, "").strip())
                 for lang in plan["languages"] for i, step in enumerate(plan["steps"])]
        for n, (lang, i, text) in enumerate(texts):
            self.ctx.check_cancelled()
            voices.setdefault(lang, [None] * len(plan["steps"]))
            if text:
                voices[lang][i] = self._speech(engine, lang, text, plan["steps"][i]["label"])
            self.progress("narrate", (n + 1) / len(texts))
        return {"voices": voices}

    def _speech(self, engine: tts.SpeechEngine, lang: str, text: str, label: str) -> dict:
        key = f"videos/cache/tts/{_hash([engine.version, lang, text])}.wav"
        if trusted(key):  # never a WAV a full disk cut short: the ledger knows its size
            local = self.local(key, f"tts-{Path(key).stem}.wav")
            return {"key": key, "seconds": probe.probe(str(local), demuxer="wav", max_streams=1).duration}
        out = self.ctx.work_dir / f"tts-{Path(key).stem}.wav"
        try:
            seconds = engine.synthesize(text, lang, out)
        except tts.UnsupportedLanguage as exc:
            raise PermanentJobError(f"{label}: {exc}") from exc
        return {"key": self.publish(key, out), "seconds": round(seconds, 3)}

    def timing(self) -> tuple[list[float], list[float]]:
        """Scene durations (long enough for every language's narration) and their start times."""
        steps, voices = self.outputs["plan"]["steps"], self.outputs["narrate"]["voices"]
        durations = []
        for i, step in enumerate(steps):
            spoken = max((v[i]["seconds"] for v in voices.values() if v[i]), default=0.0)
            transitions = (steps[i - 1]["transitionDuration"] if i and steps[i - 1]["transition"] != "cut" else 0) + (
                step["transitionDuration"] if i < len(steps) - 1 and step["transition"] != "cut" else 0)
            durations.append(round(max(step["duration"], spoken + PAUSE if spoken else 0, transitions + 0.2), 3))
        starts, t = [], 0.0
        for i, duration in enumerate(durations):
            starts.append(round(t, 3))
            overlap = steps[i]["transitionDuration"] if i < len(steps) - 1 and steps[i]["transition"] != "cut" else 0
            t += duration - overlap
        return durations, starts

    def stage_captions(self, inputs: dict) -> dict:
        plan, voices = self.outputs["plan"], self.outputs["narrate"]["voices"]
        durations, starts = self.timing()
        files = {}
        for lang in plan["languages"]:
            cues = []
            for i, step in enumerate(plan["steps"]):
                voice = voices[lang][i]
                if voice:
                    cues += subtitles.cues_for(step["narration"][lang], starts[i], starts[i] + voice["seconds"])
            vtt, srt = self.ctx.work_dir / f"{lang}.vtt", self.ctx.work_dir / f"{lang}.srt"
            subtitles.write(cues, vtt_path=vtt, srt_path=srt)
            files[lang] = {"vttKey": self.publish(f"{self.prefix}/work/captions/{lang}.vtt", vtt),
                           "srtKey": self.publish(f"{self.prefix}/work/captions/{lang}.srt", srt)}
        return {"durations": durations, "starts": starts, "subtitles": files}

    def composition(self) -> Composition:
        plan, durations = self.outputs["plan"], self.outputs["captions"]["durations"]
        out = output_for(plan["height"])
        output = Output(**out)
        clips = []
        for i, step in enumerate(plan["steps"]):
            if step["assetKind"] in ("image", "video"):
                blob = Blob.objects.get(sha256=step["asset"])
                path = self.local(blob.storage_key, f"in-{blob.sha256}.{blob.ext}")
                source = Media(path, demuxer_for(blob.ext))
                caption_text = step["caption"]
            else:
                card = cards.title_card(step["caption"] if step["assetKind"] is None else "", "#1f2d3d", output,
                                        self.ctx.work_dir / f"card-{i}.png")
                source, caption_text = Media(card, "image2"), "" if step["assetKind"] is None else step["caption"]
            caption = (cards.caption_overlay(caption_text, output, self.ctx.work_dir / f"caption-{i}.png")
                       if caption_text else None)
            last = i == len(plan["steps"]) - 1
            transition = "cut" if last else step["transition"]
            clips.append(Clip(source=source, duration=durations[i], still=step["assetKind"] != "video",
                              caption=caption, transition=transition,
                              transition_duration=0.0 if transition == "cut" else step["transitionDuration"]))
        return Composition(width=output.width, height=output.height, fps=output.fps, clips=tuple(clips),
                           preset=settings.VIDEO_PRESET, crf=settings.VIDEO_CRF)

    def _piece_key(self, comp: Composition, kind: str, index: int) -> str:
        plan, spans = self.outputs["plan"], compose.frame_spans(comp)
        involved = [index] if kind == "body" else [index, index + 1]
        shape = [
            {"asset": plan["steps"][i]["asset"], "kind": plan["steps"][i]["assetKind"],
             "caption": plan["steps"][i]["caption"], "duration": comp.clips[i].duration, "spans": spans[i],
             "transition": comp.clips[i].transition}
            for i in involved
        ]
        return _hash([kind, shape, comp.width, comp.height, comp.fps, comp.preset, comp.crf, ffmpeg.binary()])

    def stage_render(self, inputs: dict) -> dict:
        comp = self.composition()
        pieces = [("body", i) for i in range(len(comp.clips))]
        pieces = sorted(pieces + [("transition", i) for i, clip in enumerate(comp.clips[:-1])
                                  if clip.transition != "cut"], key=lambda p: (p[1], p[0] == "transition"))
        keys = [self._piece_key(comp, kind, index) for kind, index in pieces]
        cached = {s.key: s for s in Segment.objects.filter(key__in=keys) if trusted(s.storage_key)}
        missing = [(n, kind, index, keys[n]) for n, (kind, index) in enumerate(pieces) if keys[n] not in cached]
        for segment in cached.values():
            segment.save(update_fields=["used_at"])
        cached.update(self._render_pieces(comp, missing, total=len(pieces)))
        listing = [self.local(cached[key].storage_key, f"seg-{n}.mp4") for n, key in enumerate(keys)]
        concat_list = self.ctx.work_dir / "pieces.txt"
        concat_list.write_text("".join(f"file '{path}'\n" for path in listing))
        video = self.ctx.work_dir / "video.mp4"
        self.ff(compose.concat_args(concat_list, video), "render")
        expected = round(comp.duration * comp.fps)
        if abs(probe.count_frames(str(video), demuxer="mp4") - expected) > 1:
            raise TransientJobError(f"The assembled video does not have the {expected} frames it should.")
        return {"videoKey": self.publish(f"{self.prefix}/work/render/video.mp4", video), "duration": comp.duration,
                "width": comp.width, "height": comp.height, "rendered": len(missing),
                "reused": len(pieces) - len(missing), "pieces": len(pieces)}

    def _render_pieces(self, comp: Composition, missing: list, *, total: int) -> dict[str, Segment]:
        """Encode the pieces not in the cache, several at once: each is a short FFmpeg run that
        alone leaves cores idle. Database and storage work stays on this thread."""
        failed = threading.Event()

        def encode(n: int, kind: str, index: int) -> tuple[Path, int]:
            out = self.ctx.work_dir / f"piece-{n}.mp4"
            args = (compose.body_args if kind == "body" else compose.transition_args)(comp, index, out)
            ffmpeg.run(args, timeout=settings.VIDEO_TIMEOUT_SECONDS, log_path=str(self.ctx.log_path),
                       should_cancel=lambda: self.ctx.cancelled() or failed.is_set())
            return out, probe.count_frames(str(out), demuxer="mp4")

        made: dict[str, Segment] = {}
        with ThreadPoolExecutor(max_workers=settings.VIDEO_RENDER_THREADS) as pool:
            futures = {pool.submit(encode, n, kind, index): key for n, kind, index, key in missing}
            try:
                for future in as_completed(futures):
                    out, frames = future.result()
                    key = futures[future]
                    storage_key = self.publish(f"videos/cache/segments/{key}.mp4", out)
                    made[key], _ = Segment.objects.update_or_create(
                        key=key, defaults={"storage_key": storage_key, "frames": frames})
                    self.progress("render", (total - len(missing) + len(made)) / (total + 1))
            except BaseException:
                failed.set()  # the other encoders stop too
                raise
        return made

    def stage_mix(self, inputs: dict) -> dict:
        """One track per language, cached by exactly what it is made of (voices, their start times,
        the length, the music), so re-rendering after a picture-only edit mixes nothing again.
        Missing tracks are mixed in parallel; fetching and publishing stay on this thread."""
        plan, voices = self.outputs["plan"], self.outputs["narrate"]["voices"]
        starts, duration = self.outputs["captions"]["starts"], self.outputs["render"]["duration"]
        music_spec, audio, jobs_to_run = plan.get("music"), {}, []
        for lang in plan["languages"]:
            placed_keys = [(v["key"], starts[i]) for i, v in enumerate(voices[lang]) if v]
            key = "videos/cache/mix/" + _hash([placed_keys, duration, music_spec, LOUDNESS, ffmpeg.binary()]) + ".m4a"
            audio[lang] = {"key": key}
            if not trusted(key):
                jobs_to_run.append((key, self._mix_args(lang, placed_keys, duration, music_spec)))
        failed = threading.Event()

        def mix(args: list[str]) -> None:
            ffmpeg.run(args, timeout=settings.VIDEO_TIMEOUT_SECONDS, log_path=str(self.ctx.log_path),
                       should_cancel=lambda: self.ctx.cancelled() or failed.is_set())

        with ThreadPoolExecutor(max_workers=settings.VIDEO_RENDER_THREADS) as pool:
            futures = {pool.submit(mix, args): (key, out) for key, (args, out) in jobs_to_run}
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    future.result()
                    self.publish(*futures[future])
                    self.progress("mix", done / len(futures))
            except BaseException:
                failed.set()
                raise
        return {"audio": audio, "mixed": len(jobs_to_run)}

    def _mix_args(self, lang: str, placed_keys: list, duration: float, music_spec: dict | None):
        music = None
        if music_spec:
            blob = Blob.objects.get(sha256=music_spec["sha256"])
            music = Media(self.local(blob.storage_key, f"music.{blob.ext}"), demuxer_for(blob.ext), blob.duration)
        placed = [(Media(self.local(key, f"voice-{lang}-{i}.wav"), "wav"), start)
                  for i, (key, start) in enumerate(placed_keys)]
        out = self.ctx.work_dir / f"mix-{lang}.m4a"
        args = compose.mix_args(duration=duration, voices=placed, music=music,
                                music_volume=music_spec["volume"] if music else 0.0, loudness=LOUDNESS, out_path=out)
        return args, out

    def stage_package(self, inputs: dict) -> dict:
        plan = self.outputs["plan"]
        languages, render = plan["languages"], self.outputs["render"]
        video = self.local(render["videoKey"], "package-video.mp4")
        audios = [(self.local(self.outputs["mix"]["audio"][lang]["key"], f"package-{lang}.m4a"), lang)
                  for lang in languages]
        subs = self.outputs["captions"]["subtitles"]
        srts = [(self.local(subs[lang]["srtKey"], f"package-{lang}.srt"), iso639_2(lang)) for lang in languages]
        mp4 = self.ctx.work_dir / "final.mp4"
        tagged = [(path, iso639_2(lang)) for path, lang in audios]
        self.ff(compose.mux_mp4_args(video=video, audios=tagged, subtitles=srts, out_path=mp4), "package", (0, 0.3))
        self._verify(mp4, render["duration"], len(languages))
        hls = self._hls(video, audios, subs, render)
        poster = self.ctx.work_dir / "poster.jpg"
        self.ff(compose.poster_args(video=video, at_seconds=min(1.0, render["duration"] / 3), out_path=poster),
                "package", (0.9, 1.0))
        size = mp4.stat().st_size
        for lang in languages:  # the subtitle files stay beside the video (exports carry them)
            for fmt in ("srt", "vtt"):
                local = self.local(subs[lang][f"{fmt}Key"], f"final-{lang}.{fmt}")
                self.publish(f"{self.prefix}/subtitles/{lang}.{fmt}", local)
        outputs = {"mp4Key": self.publish(f"{self.prefix}/video.mp4", mp4),
                   "posterKey": self.publish(f"{self.prefix}/poster.jpg", poster),
                   "masterKey": hls, "duration": render["duration"], "size": size}
        self._finish(outputs, languages, render)
        return outputs

    def _verify(self, mp4: Path, duration: float, languages: int) -> None:
        info = probe.probe(str(mp4), demuxer="mp4", max_streams=64)
        kinds = [s.type for s in info.streams]
        if kinds.count("video") != 1 or kinds.count("audio") != languages or kinds.count("subtitle") != languages:
            raise TransientJobError(f"The packaged MP4 has the wrong streams: {kinds}")
        if info.duration is None or abs(info.duration - duration) > 0.1:
            raise TransientJobError(f"The packaged MP4 lasts {info.duration}s instead of {duration}s")

    def _hls(self, video: Path, audios: list[tuple[Path, str]], subs: dict, render: dict) -> str:
        root = self.ctx.work_dir / "hls"
        (root / "video").mkdir(parents=True)
        self.ff(compose.hls_args(source=video, stream="v", segment_seconds=HLS_SEGMENT_SECONDS,
                                 out_dir=root / "video"), "package", (0.3, 0.6))
        for path, lang in audios:
            (root / f"audio_{lang}").mkdir()
            self.ff(compose.hls_args(source=path, stream="a", segment_seconds=HLS_SEGMENT_SECONDS,
                                     out_dir=root / f"audio_{lang}"), "package", (0.6, 0.8))
        for lang, files in subs.items():
            (root / f"subs_{lang}").mkdir()
            self.local(files["vttKey"], f"hls/subs_{lang}/subtitles.vtt")
            (root / f"subs_{lang}" / "index.m3u8").write_text(_subtitle_playlist(render["duration"]))
        (root / "master.m3u8").write_text(_master_playlist(render, [lang for _, lang in audios], list(subs)))
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            self.publish(f"{self.prefix}/hls/{path.relative_to(root).as_posix()}", path)
        return f"{self.prefix}/hls/master.m3u8"

    def _finish(self, outputs: dict, languages: list[str], render: dict) -> None:
        video = self.video
        video.mp4_key, video.poster_key = outputs["mp4Key"], outputs["posterKey"]
        video.hls_prefix, video.duration, video.size = f"{self.prefix}/hls", outputs["duration"], outputs["size"]
        video.renditions = {"video": [{"width": render["width"], "height": render["height"]}],
                            "audio": languages, "subtitles": languages}
        video.chapter_state = self.outputs["plan"]["chapterState"]
        video.finished_at = timezone.now()
        video.save()
        Video.objects.filter(chapter=video.chapter, superseded_at__isnull=True, job__status="succeeded").exclude(
            pk=video.pk).update(superseded_at=timezone.now())  # the one finishing last is current
        delete_tree(f"{self.prefix}/work")  # intermediates go once the video is packaged


def iso639_2(tag: str) -> str:
    """MP4 tracks carry three-letter (ISO 639-2/T) codes; "en" or "pt-BR" in, "eng" or "por" out."""
    try:
        return iso639.Language.from_part1(tag.split("-")[0].lower()).part2t or "und"
    except iso639.LanguageNotFoundError:
        return tag.split("-")[0].lower() if len(tag.split("-")[0]) == 3 else "und"


def language_name(tag: str) -> str:
    try:
        return iso639.Language.from_part1(tag.split("-")[0].lower()).name
    except iso639.LanguageNotFoundError:
        return tag


def _master_playlist(render: dict, audio_languages: list[str], subtitle_languages: list[str]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for i, lang in enumerate(audio_languages):
        lines.append(f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="{lang}",NAME="{language_name(lang)}",'
                     f'DEFAULT={"YES" if i == 0 else "NO"},AUTOSELECT=YES,CHANNELS="2",URI="audio_{lang}/index.m3u8"')
    for lang in subtitle_languages:
        lines.append(f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="{lang}",NAME="{language_name(lang)}",'
                     f'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subs_{lang}/index.m3u8"')
    lines.append(f'#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION={render["width"]}x{render["height"]},'
                 f'CODECS="avc1.640028,mp4a.40.2",AUDIO="aud",SUBTITLES="subs"')
    lines.append("video/index.m3u8")
    return "\n".join(lines) + "\n"


def _subtitle_playlist(duration: float) -> str:
    return (f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{int(duration) + 1}\n#EXT-X-MEDIA-SEQUENCE:0\n"
            f"#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:{duration:.3f},\nsubtitles.vtt\n#EXT-X-ENDLIST\n")


def video_run(ctx: JobContext) -> dict[str, Any]:
    return Pipeline(ctx).run()


def video_cleanup(job: Job) -> None:
    """A failed or cancelled attempt leaves no final artifact; finished stages' outputs stay for a resume."""
    video = Video.objects.filter(job=job).first()
    if video is None:
        return
    prefix = f"videos/{video.id}"
    for key in (f"{prefix}/video.mp4", f"{prefix}/poster.jpg"):
        default_storage.delete(key)
    delete_tree(f"{prefix}/hls")
    delete_tree(f"{prefix}/subtitles")
    finished = StageRun.objects.filter(job=job, status__in=[StageStatus.SUCCEEDED, StageStatus.REUSED])
    kept = {key for run in finished for key in _keys(run.outputs)}
    for stage in STAGES:
        for key in list(_walk_work(prefix, stage)):
            if key not in kept:
                default_storage.delete(key)


def _walk_work(prefix: str, stage: str):
    yield from walk(f"{prefix}/work/{stage}")


def videos_expire(*, now=None) -> int:
    """Delete videos superseded by a newer render for longer than VIDEO_SUPERSEDED_TTL_SECONDS,
    and cached pieces no render has used for as long."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.VIDEO_SUPERSEDED_TTL_SECONDS)
    removed = 0
    for video in Video.objects.filter(superseded_at__lt=cutoff).exclude(mp4_key=""):
        removed += delete_tree(f"videos/{video.id}")
        Video.objects.filter(pk=video.pk).update(mp4_key="", hls_prefix="", poster_key="", size=0)
    for segment in Segment.objects.filter(used_at__lt=cutoff):
        default_storage.delete(segment.storage_key)
        segment.delete()
        removed += 1
    try:
        folders = default_storage.listdir("videos")[0]
    except (FileNotFoundError, NotADirectoryError):
        folders = []
    known = {str(pk) for pk in Video.objects.values_list("id", flat=True)}
    for folder in folders:  # videos whose chapter or project was deleted
        if folder != "cache" and folder not in known:
            removed += delete_tree(f"videos/{folder}")
    for prefix in ("videos/cache/tts", "videos/cache/mix"):
        for key in list(walk(prefix)):
            if default_storage.get_modified_time(key) < cutoff:
                default_storage.delete(key)
                removed += 1
    return removed
