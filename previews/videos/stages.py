"""The video job's stages: plan → narrate → captions → render → package.

- plan compiles the chapter into the same versioned Timeline a preview renders (final quality,
  the languages, the music);
- narrate makes each step's speech per language (cached by engine, language and text) and
  measures the loudness of every new clip and narration asset once, in one FFmpeg run;
- captions times the Timeline to its speech (the one timing rule, `Timeline.narrated`) and
  writes the subtitles;
- render renders that Timeline through `previews.render` (pieces cached by content; the finished
  MP4 with every language's track and subtitles in one more process);
- package cuts HLS (every rendition in one process), takes the poster and publishes.
Storage reads and writes go through `contentizer.storage` (fetch, publish_file, publish_files).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from assets.models import Blob
from assets.sniffing import demuxer_for
from contentizer.jobs.errors import PermanentJobError
from contentizer.jobs.runner import JobContext
from contentizer.jobs.stages import StagedJob, stable_hash
from contentizer.languages import iso639_2
from contentizer.media import ffmpeg, probe
from contentizer.media.compose import Media
from contentizer.selectors import stand_in
from contentizer.storage import delete_tree, fetch, publish_file, publish_files, trusted
from previews import compile as compiler
from previews import speech, subtitles, tts
from previews.models import Video
from previews.render import Render, verify
from previews.timeline import Speech, Timeline, TimelineError
from previews.videos import packaging
from previews.videos.services import STAGES, chapter_state

logger = logging.getLogger(__name__)

WEIGHTS = {"plan": 2, "narrate": 15, "captions": 3, "render": 65, "package": 15}
PAUSE = 0.6  # after the narration, before the next scene


def _channels(path: Path) -> int:
    return probe.audio_format(str(path), demuxer="mp4")[1]


class VideoPipeline(StagedJob):
    stages = STAGES
    weights = WEIGHTS

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
        versions = {"ffmpeg": ffmpeg.version(), "tts": tts.narration_state(
            project=self.video.project, languages=self.job.payload["languages"]) if stage == "narrate" else None}
        earlier = {name: stable_hash(self.outputs[name]) for name in STAGES[: STAGES.index(stage)]}
        own = {"chapter": chapter_state(self.video.chapter),
               "payload": {k: v for k, v in self.job.payload.items() if k not in ("traceId", "resumeFrom")}}
        return {"stage": stage, "versions": versions, "earlier": earlier, **(own if stage == "plan" else {})}

    def publish(self, key: str, path: Path) -> str:
        publish_file(key=key, path=path)
        return key

    # --- stages --------------------------------------------------------------------------

    def stage_plan(self, inputs: dict) -> dict:
        payload, chapter = inputs["payload"], self.video.chapter
        fallback = payload.get("missing") == "fallback"
        steps = compiler.chapter_steps(chapter)
        music = {"asset": payload["music"]["sha256"], "volume": payload["music"]["volume"]} \
            if payload.get("music") else None
        try:
            timeline, labels = compiler.compile_timeline(
                project=self.video.project, steps=steps, quality="final", music=music,
                fmt=compiler.Format(aspect=payload.get("aspect", "16:9"), resolution=payload["height"]),
                languages=payload["languages"],
            )
        except TimelineError as exc:
            raise PermanentJobError(f"The chapter cannot be rendered: {exc}") from exc
        for i, scene in enumerate(timeline.scenes):
            for sha in filter(None, (scene.asset, scene.narration)):
                blob = Blob.objects.filter(sha256=sha).first()
                if blob is None or not trusted(blob.storage_key, size=blob.size):
                    raise PermanentJobError(f"{labels[i]}: its asset {sha[:12]}… is missing from storage.")
        order = self.video.project.languages
        # Where a language lacks a text another has, and the request said so, that language's text
        # and voice stand in (`voices`), and the step says so on the watch page (`fallbacks`).
        texts, voices, fallbacks = [], [], []
        for state in inputs["chapter"]:
            said, voice, marks = {}, {}, {}
            for lang in payload["languages"]:
                other = stand_in(state["narration"], lang, order) if fallback else None
                said[lang], voice[lang] = state["narration"].get(other or lang, "").strip(), other or lang
                captions = state["caption"] if isinstance(state["caption"], dict) else {}
                fields = [f for f, given, stands in (("caption", captions, True),
                                                     ("narration", state["narration"], fallback))
                          if stands and stand_in(given, lang, order)]
                if fields:
                    marks[lang] = fields
            texts.append(said)
            voices.append(voice)
            fallbacks.append(marks)
        return {"timeline": timeline.to_dict(), "labels": labels, "texts": texts, "voices": voices,
                "fallbacks": fallbacks, "captions": [state["caption"] for state in inputs["chapter"]],
                "chapterState": stable_hash(inputs["chapter"])}

    def stage_narrate(self, inputs: dict) -> dict:
        plan = self.outputs["plan"]
        timeline = Timeline.parse(plan["timeline"])
        speech_out: dict[str, list] = {lang: [None] * len(timeline.scenes) for lang in timeline.languages}
        new: dict[str, tuple[Path, float]] = {}
        texts = [(lang, i, text) for i, by_lang in enumerate(plan["texts"]) for lang, text in by_lang.items() if text]
        voices = plan.get("voices") or [{} for _ in plan["texts"]]
        for n, (lang, i, text) in enumerate(texts):
            self.ctx.check_cancelled()
            said = self._speak(voices[i].get(lang, lang), text, plan["labels"][i])
            clip = Path(said["key"]).stem  # the spoken clip's cache id names its normalised copy too
            meta = speech.cached_speech(clip)
            if meta is None and clip not in new:
                # publishing may have moved the synthesised file into storage: read it back from there
                local = self.ctx.work_dir / f"speech-{clip}.wav"
                new[clip] = (local if local.exists() else fetch(said["key"], local), said["seconds"])
            speech_out[lang][i] = {**said, "clip": clip, "gain": meta["gain"] if meta else None}
            self.progress("narrate", 0.7 * (n + 1) / max(1, len(texts)))
        assets = sorted({s.narration for s in timeline.scenes if s.narration})
        gains = {sha: speech.cached_gain(sha) for sha in assets}
        unmeasured = [sha for sha, gain in gains.items() if gain is None]
        measured = self._measure([(clip, wav, seconds) for clip, (wav, seconds) in new.items()], unmeasured, timeline)
        for clips in speech_out.values():
            for entry in clips:
                if entry and entry["clip"] in measured["speech"]:
                    entry["gain"] = measured["speech"][entry["clip"]]["gain"]
        gains.update(measured["assets"])
        return {"speech": speech_out, "gains": gains, "synthesized": sum(1 for c in speech_out.values() for e in c
                                                                        if e and not e["cached"]),
                "measured": len(new) + len(unmeasured)}

    def _speak(self, lang: str, text: str, label: str) -> dict:
        """The clip as the project's voice for `lang` says it (previews.tts caches it by everything
        that shapes the sound), with what its cache key was made of."""
        try:
            return tts.speech_clip(project=self.video.project, language=lang, text=text, work_dir=self.ctx.work_dir)
        except tts.UnsupportedLanguage as exc:
            raise PermanentJobError(f"{label}: {exc}") from exc

    def _measure(self, new: list[tuple[str, Path, float]], assets: list[str], timeline: Timeline) -> dict:
        """New speech clips normalised (one FFmpeg run) and narration assets measured (one more)."""
        pairs = [(wav, wav.with_name(f"normalised-{wav.name}")) for _, wav, _ in new]
        lengths = speech.normalize(pairs, work_dir=self.ctx.work_dir, timeout=settings.VIDEO_TIMEOUT_SECONDS,
                                   should_cancel=self.ctx.cancelled)
        clips = {clip: speech.store_speech(clip, out, seconds=seconds)
                 for (clip, _, _), (_, out), seconds in zip(new, pairs, lengths, strict=True)}
        media = []
        for sha in assets:
            blob = Blob.objects.get(sha256=sha)
            media.append(Media(fetch(blob.storage_key, self.ctx.work_dir / f"narration-{sha}.{blob.ext}",
                                     size=blob.size, sha256=blob.sha256),
                               demuxer_for(blob.ext)))
        found = speech.measure(media, work_dir=self.ctx.work_dir, timeout=settings.VIDEO_TIMEOUT_SECONDS,
                               should_cancel=self.ctx.cancelled)
        gains = {sha: speech.store_gain(sha, loudness) for sha, loudness in zip(assets, found, strict=True)}
        return {"speech": clips, "assets": gains}

    def stage_captions(self, inputs: dict) -> dict:
        plan, narrate = self.outputs["plan"], self.outputs["narrate"]
        timeline = Timeline.parse(plan["timeline"])
        spoken = [tuple(Speech(language=lang, clip=clips[i]["clip"], seconds=clips[i]["seconds"],
                               gain=clips[i]["gain"]) for lang, clips in narrate["speech"].items() if clips[i])
                  for i in range(len(timeline.scenes))]
        timeline = timeline.narrated(spoken, pause=PAUSE, gains=narrate["gains"])
        starts, files = timeline.starts(), {}
        for lang in timeline.languages:
            cues = []
            for i, scene in enumerate(timeline.scenes):
                if said := scene.speech_in(lang):
                    cues += subtitles.cues_for(plan["texts"][i][lang], starts[i], starts[i] + said.seconds)
            vtt, srt = self.ctx.work_dir / f"{lang}.vtt", self.ctx.work_dir / f"{lang}.srt"
            subtitles.write(cues, vtt_path=vtt, srt_path=srt)
            files[lang] = {"vttKey": self.publish(f"{self.prefix}/work/captions/{lang}.vtt", vtt),
                           "srtKey": self.publish(f"{self.prefix}/work/captions/{lang}.srt", srt)}
        return {"timeline": timeline.to_dict(), "subtitles": files}

    def stage_render(self, inputs: dict) -> dict:
        timeline = Timeline.parse(self.outputs["captions"]["timeline"])
        render = Render(self.ctx, timeline, self.outputs["plan"]["labels"], timeout=settings.VIDEO_TIMEOUT_SECONDS,
                        on_progress=lambda fraction: self.progress("render", 0.85 * fraction))
        pieces = render.pieces()
        local = render.render_pieces(pieces)
        subs = self.outputs["captions"]["subtitles"]
        srts = [(fetch(subs[lang]["srtKey"], self.ctx.work_dir / f"render-{lang}.srt"), iso639_2(lang))
                for lang in timeline.languages]
        encoded = render.encoded_tracks()
        video = render.assemble(pieces, local, self.ctx.work_dir / "video.mp4", subtitles=srts, encoded=encoded)
        duration = render.picture.total_frames / timeline.output.fps
        verify(video, frames=render.picture.total_frames, fps=timeline.output.fps,
               audio=max(1, len(timeline.languages)), subtitles=len(timeline.languages))
        return {"videoKey": self.publish(f"{self.prefix}/work/render/video.mp4", video), "duration": duration,
                "width": timeline.output.width, "height": timeline.output.height,
                "channels": [_channels(path) for path, _ in encoded], "rendered": render.rendered,
                "reused": render.reused, "pieces": len({p.key for p in pieces}), "encoded": render.tracks_encoded}

    def stage_package(self, inputs: dict) -> dict:
        render, subs = self.outputs["render"], self.outputs["captions"]["subtitles"]
        languages = list(Timeline.parse(self.outputs["captions"]["timeline"]).languages)
        video = fetch(render["videoKey"], self.ctx.work_dir / "package-video.mp4")
        root = self.ctx.work_dir / "hls"
        root.mkdir()
        ffmpeg.run(packaging.hls_args(video, languages, root), timeout=settings.VIDEO_TIMEOUT_SECONDS,
                   log_path=str(self.ctx.log_path), should_cancel=self.ctx.cancelled)
        self.progress("package", 0.5)
        start = packaging.segments_start(root)
        for lang in languages:
            packaging.map_to_segments(fetch(subs[lang]["vttKey"], root / f"subs_{lang}" / "subtitles.vtt"), start)
        packaging.write_playlists(root, render=render, languages=languages)
        poster = packaging.poster(video, duration=render["duration"], out=self.ctx.work_dir / "poster.jpg")
        size = video.stat().st_size
        files = [(f"{self.prefix}/subtitles/{lang}.{fmt}",  # the subtitle files stay beside the video
                  fetch(subs[lang][f"{fmt}Key"], self.ctx.work_dir / f"final-{lang}.{fmt}"))
                 for lang in languages for fmt in ("srt", "vtt")]
        files += [(f"{self.prefix}/hls/{path.relative_to(root).as_posix()}", path)
                  for path in sorted(p for p in root.rglob("*") if p.is_file())]
        outputs = {"mp4Key": f"{self.prefix}/video.mp4", "posterKey": f"{self.prefix}/poster.jpg",
                   "masterKey": f"{self.prefix}/hls/master.m3u8", "duration": render["duration"], "size": size}
        publish_files([*files, (outputs["mp4Key"], video), (outputs["posterKey"], poster)])  # one ledger write
        self._finish(outputs, languages, render)
        return outputs

    def _finish(self, outputs: dict, languages: list[str], render: dict) -> None:
        video = self.video
        video.mp4_key, video.poster_key = outputs["mp4Key"], outputs["posterKey"]
        video.hls_prefix, video.duration, video.size = f"{self.prefix}/hls", outputs["duration"], outputs["size"]
        video.renditions = {"video": [{"width": render["width"], "height": render["height"]}],
                            "audio": languages, "subtitles": languages}
        video.chapter_state = self.outputs["plan"]["chapterState"]
        timeline = Timeline.parse(self.outputs["captions"]["timeline"])
        plan = self.outputs["plan"]
        video.steps = [{"start": start, "caption": caption, "narration": texts,  # the watch page's step list
                        **({"fallback": marks} if marks else {})}
                       for start, caption, texts, marks in zip(
                           timeline.starts(), plan["captions"], plan["texts"],
                           plan.get("fallbacks") or [{} for _ in plan["texts"]], strict=True)]
        video.finished_at = timezone.now()
        video.save()
        Video.objects.filter(chapter=video.chapter, superseded_at__isnull=True, job__status="succeeded").exclude(
            pk=video.pk).update(superseded_at=timezone.now())  # the one finishing last is current
        delete_tree(f"{self.prefix}/work")  # intermediates go once the video is packaged


