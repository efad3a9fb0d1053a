"""The video job's stages: plan → narrate → captions → render → package.

Each language has its own picture: its captions drawn on it and its steps timed to its own
narration. What differs per language is rendered once per language; what does not (cross-fades
between pictures, which carry no caption, and any scene body whose caption, picture and length
agree) is one cached piece shared by every language.

- plan compiles the chapter into the same versioned Timeline a preview renders (final quality,
  the music), once per language with that language's captions;
- narrate makes each step's speech per language (cached by engine, language and text) and
  measures the loudness of every new clip and narration asset once, in one FFmpeg run;
- captions times each language's Timeline to that language's speech (the one timing rule,
  `Timeline.narrated`) and writes the subtitles: each language's own, and every language's text
  timed to each picture's steps (the subtitles a viewer picks on their own);
- render renders each language's Timeline through `previews.render` (pieces cached by content;
  each language's MP4 with its track and every language's subtitles in one more process);
- package cuts each language's HLS tree (every rendition of it in one process), writes measured
  playlists, takes the poster and publishes.
Storage reads and writes go through `contentizer.storage` (fetch, publish_file, publish_files).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from assets.models import Blob
from assets.sniffing import demuxer_for
from contentizer.jobs import fanout
from contentizer.jobs.errors import PermanentJobError
from contentizer.jobs.models import StageRun, StageStatus
from contentizer.jobs.runner import JobContext
from contentizer.jobs.stages import StagedJob, stable_hash
from contentizer.languages import iso639_2
from contentizer.media import ffmpeg
from contentizer.media.compose import Media
from contentizer.selectors import stand_in
from contentizer.storage import delete_tree, fetch, publish_file, publish_files, trusted
from previews import compile as compiler
from previews import speech, subtitles, tts
from previews.models import Video
from previews.recordings import narration
from previews.render import FanOut, Output, Report, render
from previews.timeline import NARRATION_PAUSE, Timeline, TimelineError
from previews.videos import packaging
from previews.videos.outputs import (
    Captions,
    Narration,
    Packaged,
    Plan,
    Rendered,
    RenderedPicture,
    Said,
    SubtitleFiles,
)
from previews.videos.services import STAGES, chapter_state, state_hash

logger = logging.getLogger(__name__)

WEIGHTS = {"plan": 2, "narrate": 15, "captions": 3, "render": 65, "package": 15}
PAUSE = NARRATION_PAUSE
RECORDED_PREFIX = "recorded"  # names a recorded clip's raw WAV, which lives only in the work dir
# the shape of the stages' outputs: a stage recorded in another shape (before each language had its own
# picture) is never reused by a retry
OUTPUTS_VERSION = 2


class VideoPipeline(StagedJob):
    stages = STAGES
    weights = WEIGHTS
    types = {"plan": Plan, "narrate": Narration, "captions": Captions, "render": Rendered, "package": Packaged}

    def __init__(self, ctx: JobContext) -> None:
        super().__init__(ctx)
        video = Video.objects.select_related("chapter", "project").filter(job=self.job).first()
        if video is None:
            raise PermanentJobError("The chapter of this video was deleted.")
        self.video = video
        self.prefix = f"videos/{video.id}"

    def run(self) -> dict[str, Any]:
        self.run_stages()
        return {"videoId": str(self.video.id), **self.outputs["package"]}

    def inputs(self, stage: str) -> dict:
        """What a stage depends on: its hash decides whether an earlier run can stand in."""
        versions = {"outputs": OUTPUTS_VERSION, "ffmpeg": ffmpeg.version(), "tts": tts.narration_state(
            project=self.video.project, languages=self.job.payload["languages"]) if stage == "narrate" else None}
        earlier = {name: stable_hash(self.outputs[name]) for name in STAGES[: STAGES.index(stage)]}
        own = {"chapter": chapter_state(self.video.chapter), "brand": self.video.project.brand,
               "payload": {k: v for k, v in self.job.payload.items() if k not in ("traceId", "resumeFrom")}}
        return {"stage": stage, "versions": versions, "earlier": earlier, **(own if stage == "plan" else {})}

    def publish(self, key: str, path: Path) -> str:
        publish_file(key=key, path=path)
        return key

    # --- stages --------------------------------------------------------------------------

    def stage_plan(self, inputs: dict) -> Plan:
        payload, chapter = inputs["payload"], self.video.chapter
        languages = payload["languages"]
        fallback = payload.get("missing") == "fallback"
        music = {"asset": payload["music"]["sha256"], "volume": payload["music"]["volume"]} \
            if payload.get("music") else None
        fmt = compiler.Format(aspect=payload.get("aspect", "16:9"), resolution=payload["height"])
        timelines = {}
        for lang in languages:  # each language's picture shows its own captions
            try:
                timeline, labels = compiler.compile_timeline(
                    project=self.video.project, steps=compiler.chapter_steps(chapter, language=lang),
                    quality="final", music=music, fmt=fmt, languages=[lang])
            except TimelineError as exc:
                raise PermanentJobError(f"The chapter cannot be rendered: {exc}") from exc
            timelines[lang] = timeline
        for i, scene in enumerate(timeline.scenes):
            for sha in filter(None, (scene.asset, scene.narration)):
                blob = Blob.objects.filter(sha256=sha).first()
                if blob is None or not trusted(blob.storage_key, size=blob.size):
                    raise PermanentJobError(f"{labels[i]}: its asset {sha[:12]}… is missing from storage.")
        order = self.video.project.languages
        # Where a language lacks a text another has, and the request said so, that language's text
        # and voice stand in (`voices`), and the step says so on the watch page (`fallbacks`).
        texts, voices, fallbacks, captions = [], [], [], []
        for state in inputs["chapter"]:
            said, voice, marks, shown = {}, {}, {}, {}
            given = state["caption"] if isinstance(state["caption"], dict) else {}
            for lang in languages:
                other = stand_in(state["narration"], lang, order) if fallback else None
                said[lang], voice[lang] = state["narration"].get(other or lang, "").strip(), other or lang
                # a caption another language has always stands in (as one caption did for every language)
                shown[lang] = given.get(stand_in(given, lang, order) or lang, "")
                fields = [f for f, texts_of, stands in (("caption", given, True),
                                                        ("narration", state["narration"], fallback))
                          if stands and stand_in(texts_of, lang, order)]
                if fields:
                    marks[lang] = fields
            texts.append(said)
            voices.append(voice)
            fallbacks.append(marks)
            captions.append(shown)
        recordings = [{lang: sha for lang, sha in state.get("recordings", {}).items() if lang in languages}
                      for state in inputs["chapter"]]
        # per scene: the brand's intro and outro cards say nothing and are no step of the watch page
        texts, recordings, voices, fallbacks, captions = (compiler.branded(values, labels, {}) for values in (
            texts, recordings, voices, fallbacks, captions))
        return Plan(timelines=timelines, languages=languages, labels=labels, texts=texts, recordings=recordings,
                    voices=voices, fallbacks=fallbacks, captions=captions,
                    chapter_state=state_hash(inputs["chapter"], order))

    def stage_narrate(self, inputs: dict) -> Narration:
        plan: Plan = self.values["plan"]
        timeline = plan.first
        speech_out: dict[str, list] = {lang: [None] * len(timeline.scenes) for lang in plan.languages}
        # a step recorded in a language is said by the author's recording there, its text or not
        recorded, voices = plan.recordings, plan.voices
        texts = [(lang, i, text) for i, by_lang in enumerate(plan.texts) for lang, text in by_lang.items()
                 if text or recorded[i].get(lang)]
        for n, (lang, i, text) in enumerate(texts):
            self.ctx.check_cancelled()
            said = self._recorded(recorded[i][lang]) if recorded[i].get(lang) else speech.speak(
                project=self.video.project, language=voices[i].get(lang, lang), text=text, label=plan.labels[i],
                work_dir=self.ctx.work_dir)
            speech_out[lang][i] = {**said, "clip": speech.clip_id(said)}
            self.progress("narrate", 0.7 * (n + 1) / max(1, len(texts)))
        said = [entry for clips in speech_out.values() for entry in clips if entry]
        normalised = speech.normalised(said, work_dir=self.ctx.work_dir, timeout=settings.VIDEO_TIMEOUT_SECONDS,
                                       should_cancel=self.ctx.cancelled)
        for entry in said:
            entry["gain"] = normalised.gains[entry["clip"]]
        assets = sorted({s.narration for s in timeline.scenes if s.narration})
        gains = {sha: speech.cached_gain(sha) for sha in assets}
        unmeasured = [sha for sha, gain in gains.items() if gain is None]
        gains.update(self._measure(unmeasured))
        return Narration(speech={lang: [Said.from_json(e) if e else None for e in clips]
                                 for lang, clips in speech_out.items()},
                         gains=gains, synthesized=sum(1 for e in said if not e["cached"]),
                         measured=normalised.made + len(unmeasured))

    def _recorded(self, sha256: str) -> dict:
        """The author's recording as a spoken clip: decoded once into the speech cache's form (its
        loudness set with the synthesised clips'), then cached by the recording's hash."""
        clip = narration.recorded_clip(sha256)
        said = {"key": f"{RECORDED_PREFIX}/{clip}.wav", "recording": sha256}
        if (meta := speech.cached_speech(clip)) is not None:
            return {**said, "seconds": meta["seconds"], "cached": True}
        seconds = narration.recorded_wav(Blob.objects.get(sha256=sha256), self.ctx.work_dir / f"speech-{clip}.wav",
                                         work_dir=self.ctx.work_dir, timeout=settings.VIDEO_TIMEOUT_SECONDS,
                                         should_cancel=self.ctx.cancelled)
        return {**said, "seconds": round(seconds, 3), "cached": False}

    def _measure(self, assets: list[str]) -> dict[str, float]:
        """Narration assets measured (one FFmpeg run) and their gains cached."""
        media = []
        for sha in assets:
            blob = Blob.objects.get(sha256=sha)
            media.append(Media(fetch(blob.storage_key, self.ctx.work_dir / f"narration-{sha}.{blob.ext}",
                                     size=blob.size, sha256=blob.sha256),
                               demuxer_for(blob.ext)))
        found = speech.measure(media, work_dir=self.ctx.work_dir, timeout=settings.VIDEO_TIMEOUT_SECONDS,
                               should_cancel=self.ctx.cancelled)
        return {sha: speech.store_gain(sha, loudness) for sha, loudness in zip(assets, found, strict=True)}

    def stage_captions(self, inputs: dict) -> Captions:
        plan: Plan = self.values["plan"]
        narrate: Narration = self.values["narrate"]
        timelines, on_picture = {}, {}
        for picture in plan.languages:  # each picture lasts as its own language's narration needs
            timeline = plan.timelines[picture].narrated(
                [tuple([said.speech(picture)] if (said := narrate.said(picture, i)) else ())
                 for i in range(len(plan.texts))], pause=PAUSE, gains=narrate.gains)
            timelines[picture], on_picture[picture] = timeline, {}
            for lang in plan.languages:  # every language's text, timed to this picture's steps
                cues = self._cues(timeline, lang, picture)
                name = lang if lang == picture else f"{picture}/{lang}"
                vtt, srt = self.ctx.work_dir / f"{name}.vtt", self.ctx.work_dir / f"{name}.srt"
                vtt.parent.mkdir(parents=True, exist_ok=True)
                subtitles.write(cues, vtt_path=vtt, srt_path=srt)
                on_picture[picture][lang] = SubtitleFiles(
                    vtt_key=self.publish(f"{self.prefix}/work/captions/{name}.vtt", vtt),
                    srt_key=self.publish(f"{self.prefix}/work/captions/{name}.srt", srt))
        return Captions(timelines=timelines, on_picture=on_picture)

    def _cues(self, timeline: Timeline, lang: str, picture: str) -> list[subtitles.Cue]:
        """`lang`'s narration text as cues on `picture`'s timeline: each step's text from where the
        step starts, for as long as the picture's own narration of it lasts (or, for a step that
        language does not narrate, as long as `lang`'s does, within the step)."""
        plan: Plan = self.values["plan"]
        narrate: Narration = self.values["narrate"]
        starts, ends, cues = timeline.starts(), [*timeline.starts()[1:], timeline.duration], []
        for i, scene in enumerate(timeline.scenes):
            text = plan.texts[i].get(lang, "")
            said = scene.speech_in(picture) or ((own := narrate.said(lang, i)) and own.speech(lang))
            if text and said:
                cues += subtitles.cues_for(text, starts[i], min(starts[i] + said.seconds, ends[i]))
        return cues

    def stage_render(self, inputs: dict) -> Rendered:
        """Every language's MP4 in one render call: its picture (pieces another language or a piece
        job made already are reused), its track, and every language's subtitles timed to it, its
        own first. A long video's missing pieces go to piece jobs any worker takes: this attempt
        then ends, and the job runs again (reusing every stage before this one) once they all ended."""
        plan: Plan = self.values["plan"]
        captions: Captions = self.values["captions"]
        started, fanned = time.perf_counter(), self.job.fan_out
        wanted = [(captions.timelines[lang],
                   Output(path=self.ctx.work_dir / f"video-{lang}.mp4", piecing="segments", sound="cached",
                          subtitles=self._subtitles(lang, plan.languages, captions), workspace=f"render-{lang}"))
                  for lang in plan.languages]
        reports = render(self.ctx, wanted, labels=plan.labels, timeout=settings.VIDEO_TIMEOUT_SECONDS,
                         on_progress=lambda fraction: self.progress("render", 0.85 * fraction),
                         fan_out=FanOut(over=settings.VIDEO_PIECE_JOBS_OVER,
                                        progress=(self.percent("render", 0), self.percent("render", 0.85))))
        return Rendered(pictures={lang: self._picture(lang, report)
                                  for lang, report in zip(plan.languages, reports, strict=True)},
                        piece_jobs=fanout.pieces(self.job) if fanned else None,
                        render_seconds=self._render_seconds(started, fanned=bool(fanned)))

    def _subtitles(self, lang: str, languages: list[str], captions: Captions) -> tuple[tuple[Path, str], ...]:
        order = [lang] + [other for other in languages if other != lang]
        return tuple((fetch(captions.on_picture[lang][other].srt_key,
                            self.ctx.work_dir / f"render-{lang}" / f"subtitles-{other}.srt"), iso639_2(other))
                     for other in order)

    def _picture(self, lang: str, report: Report) -> RenderedPicture:
        size = report.path.stat().st_size  # publishing may move the file
        return RenderedPicture(
            video_key=self.publish(f"{self.prefix}/work/render/video-{lang}.mp4", report.path),
            duration=report.frames / report.fps, bytes=size, width=report.width, height=report.height,
            channels=list(report.channels), rendered=report.rendered, reused=report.reused, pieces=report.pieces,
            encoded=report.tracks_encoded, seconds=report.seconds)

    def _render_seconds(self, started: float, *, fanned: bool) -> float:
        """Wall time of the render stage: with piece jobs, from when it handed them out."""
        if fanned:
            waited = StageRun.objects.filter(job=self.job, stage="render", status=StageStatus.WAITING).order_by(
                "-id").first()
            if waited is not None:
                return round((timezone.now() - waited.started_at).total_seconds(), 3)
        return round(time.perf_counter() - started, 3)

    def stage_package(self, inputs: dict) -> Packaged:
        plan: Plan = self.values["plan"]
        captions: Captions = self.values["captions"]
        languages, root = plan.languages, self.ctx.work_dir / "hls"
        root.mkdir()
        files, pictures = [], {}
        for n, lang in enumerate(languages):
            pictures[lang] = self._package_picture(lang, root, plan, captions)
            mp4 = f"{self.prefix}/video.mp4" if n == 0 else f"{self.prefix}/video.{lang}.mp4"
            files.append((mp4, self.ctx.work_dir / f"package-{lang}.mp4"))
            pictures[lang]["mp4Key"] = mp4
            self.progress("package", 0.8 * (n + 1) / len(languages))
        first = pictures[languages[0]]
        poster = packaging.poster(files[0][1], duration=first["duration"], out=self.ctx.work_dir / "poster.jpg")
        files += [(f"{self.prefix}/subtitles/{lang}.{fmt}",  # the subtitle files stay beside the video
                   fetch(captions.subtitles[lang].key(fmt), self.ctx.work_dir / f"final-{lang}.{fmt}"))
                  for lang in languages for fmt in ("srt", "vtt")]
        files += [(f"{self.prefix}/hls/{path.relative_to(root).as_posix()}", path)
                  for path in sorted(p for p in root.rglob("*") if p.is_file())]
        packaged = Packaged(mp4_key=first["mp4Key"], poster_key=f"{self.prefix}/poster.jpg",
                            master_key=f"{self.prefix}/hls/master.m3u8", duration=first["duration"],
                            size=first["size"], pictures=pictures)
        publish_files([*files, (packaged.poster_key, poster)])  # one ledger write
        self._finish(packaged, plan, self.values["render"])
        return packaged

    def _package_picture(self, lang: str, root: Path, plan: Plan, captions: Captions) -> dict:
        """One language's HLS tree: its video and audio cut in one process, every language's
        subtitles mapped to its segments' clock, and playlists measured from what was written."""
        languages = plan.languages
        picture: RenderedPicture = self.values["render"].pictures[lang]
        timeline = captions.timelines[lang]
        video = fetch(picture.video_key, self.ctx.work_dir / f"package-{lang}.mp4")
        tree = root / packaging.tree(lang, languages)
        vtts = {other: fetch(captions.on_picture[lang][other].vtt_key,
                             self.ctx.work_dir / "package-subtitles" / lang / f"{other}.vtt") for other in languages}
        declared = packaging.cut_tree(
            tree, video=video, audio_languages=[lang], vtts=vtts, width=picture.width, height=picture.height,
            fps=timeline.output.fps, duration=picture.duration, timeout=settings.VIDEO_TIMEOUT_SECONDS,
            log_path=str(self.ctx.log_path), should_cancel=self.ctx.cancelled)
        hls_bytes = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file() and (
            lang != languages[0] or p.relative_to(tree).parts[0] not in languages))
        return {"tree": packaging.tree(lang, languages), "duration": picture.duration,
                "size": video.stat().st_size, "hlsBytes": hls_bytes, **declared,
                "starts": compiler.unbranded(timeline.starts(), plan.labels)}

    def _finish(self, packaged: Packaged, plan: Plan, rendered: Rendered) -> None:
        video, languages = self.video, plan.languages
        video.mp4_key, video.poster_key = packaged.mp4_key, packaged.poster_key
        video.hls_prefix, video.duration, video.size = f"{self.prefix}/hls", packaged.duration, packaged.size
        video.renditions = {"video": [{"width": rendered.first.width, "height": rendered.first.height}],
                            "audio": languages, "subtitles": languages}
        video.pictures = packaged.pictures
        video.chapter_state = plan.chapter_state
        starts = {lang: picture["starts"] for lang, picture in packaged.pictures.items()}
        video.steps = [  # the watch page's step list: where each step starts in each language's picture
            {"start": starts[languages[0]][i], "caption": captions[languages[0]], "captions": captions,
             "narration": texts, "starts": {lang: starts[lang][i] for lang in languages},
             **({"fallback": marks} if marks else {})}
            for i, (captions, texts, marks) in enumerate(compiler.unbranded(
                list(zip(plan.captions, plan.texts, plan.fallbacks, strict=True)), plan.labels))]
        video.finished_at, video.render_seconds = timezone.now(), rendered.render_seconds
        video.save()
        # the one finishing last is current, among videos of the same shape and resolution: a portrait
        # video never replaces the landscape one
        Video.objects.filter(chapter=video.chapter, aspect=video.aspect, height=video.height,
                             superseded_at__isnull=True, job__status="succeeded").exclude(
            pk=video.pk).update(superseded_at=timezone.now())
        delete_tree(f"{self.prefix}/work")  # intermediates go once the video is packaged


