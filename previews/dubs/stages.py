"""The dub job's stages: asr → translate → speak → mix → package.

- asr recognises the recording (timed segments and words), publishes the transcript as
  `segments_src.json` and gives the dub its segments (keeping the author's edits when the same
  segments come back);
- translate puts each segment into each target language, keeping every translation the author
  wrote and every machine translation whose source text did not change (so an edit of one segment
  translates that one again);
- speak says each translation with the language's voice through the speech cache (keyed by engine,
  voice, language and text: an edit of one segment synthesises that one again);
- mix fits each language's speech into the source segments' slots and renders the original
  picture and each dubbed one (`previews.dubs.media`);
- package publishes them as one Video (MP4 per language, HLS, subtitles, poster).
Each stage's inputs are the values its work depends on, never counters of an earlier run, so a
retry or a resume reuses every stage whose inputs are unchanged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assets.models import Blob
from assets.sniffing import demuxer_for
from contentizer.jobs.errors import PermanentJobError
from contentizer.jobs.runner import JobContext
from contentizer.jobs.stages import StagedJob
from contentizer.languages import language_name
from contentizer.media import ffmpeg
from contentizer.media.compose import Media
from contentizer.storage import fetch, publish_file, trusted
from previews import asr, tts
from previews.dubs.services import STAGES, work_prefix
from previews.models import Dub, LexiconEntry, Video
from previews.translation import catalogue
from previews.translation.base import TranslationUnavailable
from previews.translation.protect import translate_protected
from previews.tts import selectors as tts_selectors
from previews.tts.normalizer import VERSION as NORMALIZER_VERSION

logger = logging.getLogger(__name__)

WEIGHTS = {"asr": 25, "translate": 5, "speak": 20, "mix": 35, "package": 15}
OUTPUTS_VERSION = 1  # the shape of the stages' outputs: a run recorded in another shape is never reused


def _named(language: str) -> str:
    return f"{language_name(language)} ({language})"


def fit_json(fit: Any, indices: list[int]) -> dict[str, Any]:
    """A media Fit as the stage records it, with the dub's segment index of each placed clip (a placed
    clip's `index` is its position in the lists `fit` was given: the segments that have speech)."""
    return {**fit.to_json(), "indices": indices}


def fit_from_json(data: dict[str, Any]) -> Any:
    from previews.dubs import media

    return media.Fit.from_json(data)


class DubPipeline(StagedJob):
    stages = STAGES
    weights = WEIGHTS

    def __init__(self, ctx: JobContext) -> None:
        super().__init__(ctx)
        dub = Dub.objects.select_related("project", "owner").filter(job=self.job).first()
        if dub is None:
            raise PermanentJobError("The dub was deleted.")
        self.dub, self.prefix = dub, work_prefix(dub)
        self.blob = Blob.objects.filter(sha256=dub.source_sha256).first()

    def run(self) -> dict[str, Any]:
        self.run_stages()
        mix, speak = self.outputs["mix"], self.outputs["speak"]
        return {"dubId": str(self.dub.id), "videoId": self.outputs["package"]["videoId"],
                "sourceLanguage": self.outputs["asr"]["language"], "targetLanguages": self.dub.target_languages,
                "segments": self.outputs["asr"]["segments"], "segmentsSpedUp": mix["spedUp"],
                "grownSeconds": mix["grown"], "synthesized": speak["synthesized"], "reused": speak["reused"],
                "languages": {lang: {"segmentsSpedUp": d["segmentsSpedUp"], "grownSeconds": d["grownSeconds"]}
                              for lang, d in mix["dubbed"].items()}}

    # --- what each stage depends on ------------------------------------------------------------

    def inputs(self, stage: str) -> dict:
        self.dub.refresh_from_db(fields=["segments", "source_language", "voices"])
        own = getattr(self, f"_inputs_{stage}")()
        return {"stage": stage, "version": OUTPUTS_VERSION, **own}

    def _inputs_asr(self) -> dict:
        language = self.job.payload.get("sourceLanguage")
        try:
            model = asr.model_for(language).id
        except asr.AsrUnavailable as exc:
            raise PermanentJobError(str(exc), code="no_speech_recognition") from exc
        return {"recording": self.dub.source_sha256, "language": language, "model": model, "ffmpeg": ffmpeg.version()}

    def _inputs_translate(self) -> dict:
        source = self.outputs["asr"]["language"]
        # an edited translation is not an input: the stage keeps it whatever it is, and speak reads it
        pairs = {lang: getattr(catalogue.pair_for(source, lang), "id", None) for lang in self.dub.target_languages}
        return {"language": source, "segments": [[s["index"], s["text"]] for s in self.dub.segments],
                "pairs": pairs, "terms": self._terms()}

    def _inputs_speak(self) -> dict:
        return {"texts": self._translations(), "voices": {lang: self._voice_state(lang)
                                                          for lang in self.dub.target_languages}}

    def _inputs_mix(self) -> dict:
        clips = {lang: [[c["index"], c["key"], c["seconds"]] for c in out["clips"]]
                 for lang, out in self.outputs["speak"]["languages"].items()}
        return {"recording": self.dub.source_sha256, "height": self.job.payload["height"], "slots": self._slots(),
                "duration": self.outputs["asr"]["duration"], "clips": clips, "ffmpeg": ffmpeg.version()}

    def _inputs_package(self) -> dict:
        mix = self.outputs["mix"]
        return {"original": mix["original"]["videoKey"],
                "dubbed": {lang: [d["videoKey"], d["fit"]] for lang, d in mix["dubbed"].items()},
                "subtitles": self._subtitles(), "title": self.dub.title}

    def _terms(self) -> list[str]:
        """Product names: every written form of the project's lexicon, kept as written by translation."""
        return sorted(set(LexiconEntry.objects.filter(project=self.dub.project).values_list("written", flat=True)))

    def _translations(self) -> dict[str, list[list]]:
        return {lang: [[s["index"], ((s.get("translations") or {}).get(lang) or {}).get("text", "")]
                       for s in self.dub.segments] for lang in self.dub.target_languages}

    def _voice_state(self, language: str) -> dict:
        try:
            narrator = tts.narrator_for(project=self.dub.project, language=language,
                                        voice=self.dub.voices.get(language, ""))
        except tts.UnsupportedLanguage:
            return {"voice": None}
        return {"voice": narrator.voice.id, "modelSha256": narrator.voice.model_sha256, "rate": narrator.rate,
                "lexicon": tts_selectors.lexicon_for(project=self.dub.project, language=language),
                "normalizer": NORMALIZER_VERSION}

    def _slots(self) -> list[list[float]]:
        return [[s["index"], s["start"], s["end"]] for s in self.dub.segments]

    def _subtitles(self) -> dict[str, list[list]]:
        source = self.outputs["asr"]["language"]
        out = {source: [[s["start"], s["end"], s["text"]] for s in self.dub.segments if s["text"].strip()]}
        for lang, texts in self._translations().items():
            times = {s["index"]: (s["start"], s["end"]) for s in self.dub.segments}
            out[lang] = [[*times[index], text] for index, text in texts if text.strip()]
        return out

    # --- helpers ---------------------------------------------------------------------------------

    def _publish_json(self, name: str, data: Any) -> str:
        path = self.ctx.work_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        key = f"{self.prefix}/{name}"
        publish_file(key=key, path=path)
        return key

    def _recording(self) -> Media:
        """The recording on this worker's disk (checked against its hash), with the demuxer that must read it."""
        blob = self.blob
        if blob is None or not trusted(blob.storage_key, size=blob.size):
            raise PermanentJobError(f"The recording “{self.dub.title}” is missing from storage; upload it again and "
                                    "ask for a new dub.", code="recording_missing")
        path = self.ctx.work_dir / f"recording.{blob.ext}"
        if not path.exists():
            fetch(blob.storage_key, path, size=blob.size, sha256=blob.sha256)
        return Media(path, demuxer_for(blob.ext), duration=blob.duration)

    # --- stages ----------------------------------------------------------------------------------

    def stage_asr(self, inputs: dict) -> dict:
        try:
            transcript = asr.transcribe(self._recording(), language=inputs["language"], work_dir=self.ctx.work_dir,
                                        timeout=settings.VIDEO_TIMEOUT_SECONDS, should_cancel=self.ctx.cancelled,
                                        progress=lambda fraction: self.progress("asr", fraction))
        except asr.AsrUnavailable as exc:
            raise PermanentJobError(str(exc), code="no_speech_recognition") from exc
        if not transcript.segments:
            raise PermanentJobError(f"No speech was recognised in “{self.dub.title}”: there is nothing to dub.",
                                    code="no_speech")
        segments = [{"index": i, **segment.as_json()} for i, segment in enumerate(transcript.segments)]
        key = self._publish_json("asr/segments_src.json", {**transcript.as_json(), "segments": segments})
        self._adopt(transcript.language, segments)
        self.ctx.log(f"recognised {len(segments)} segment(s) in {transcript.language} with {transcript.model}")
        return {"segmentsKey": key, "language": transcript.language, "model": transcript.model,
                "languageProbability": transcript.language_probability, "duration": transcript.duration,
                "segments": len(segments)}

    def _adopt(self, language: str, segments: list[dict]) -> None:
        """The transcript becomes the dub's segments. Where it found the same segments as before (a
        rerun), the author's texts and every translation stay; otherwise they are replaced."""
        with transaction.atomic():
            dub = Dub.objects.select_for_update().get(pk=self.dub.pk)
            old = {s["index"]: s for s in dub.segments}
            same = len(old) == len(segments) and all(
                (old[s["index"]]["start"], old[s["index"]]["end"]) == (s["start"], s["end"]) for s in segments)
            if not same and any(s.get("edited") for s in old.values()):
                logger.warning("a new transcript replaced edited segments", extra={"event": "dub.edits_replaced",
                                                                                  "jobId": str(self.job.id)})
            dub.segments = [
                {**s, "edited": False, "translations": {}} if not same else
                {**s, "text": old[s["index"]]["text"], "edited": old[s["index"]].get("edited", False),
                 "translations": old[s["index"]].get("translations", {})}
                for s in segments]
            dub.source_language = dub.source_language or language
            dub.save(update_fields=["segments", "source_language", "updated_at"])
        self.dub.refresh_from_db()

    def stage_translate(self, inputs: dict) -> dict:
        source = inputs["language"]
        for lang, pair in inputs["pairs"].items():
            if lang.split("-")[0].lower() == source.split("-")[0].lower():
                raise PermanentJobError(f"The recording is already in {_named(source)}; ask for a dub into another "
                                        "language.", code="invalid_languages", details={"languages": [lang]})
            if pair is None:
                raise PermanentJobError(f"No translation model translates {_named(source)} into {_named(lang)}. "
                                        "An operator can add one (docs/translation.md).", code="no_translation_model",
                                        details={"from": source, "to": lang})
        made, counts = {}, {"translated": 0, "reused": 0, "kept": 0}
        total = len(inputs["pairs"]) * len(self.dub.segments) or 1
        for n, lang in enumerate(inputs["pairs"]):
            made[lang] = self._translate_language(source, lang, inputs["terms"], counts,
                                                  lambda i, n=n: self.progress("translate", (n * len(
                                                      self.dub.segments) + i) / total))
        self._write_translations(made)
        keys = {lang: {"key": self._publish_json(f"translate/{lang}.json", [
            {"index": index, "text": text, "edited": edited} for index, text, edited in self._texts_of(lang)]),
            "pair": inputs["pairs"][lang]} for lang in inputs["pairs"]}
        self.ctx.log("translations: {translated} made, {reused} unchanged, {kept} written by the author"
                     .format(**counts))
        return {"languages": keys, **counts}

    def _translate_language(self, source: str, lang: str, terms: list[str], counts: dict, progress) -> dict:
        pair = catalogue.pair_for(source, lang)
        engine, made = catalogue.engine_of(pair), {}
        for i, segment in enumerate(self.dub.segments):
            self.ctx.check_cancelled()
            current = (segment.get("translations") or {}).get(lang) or {}
            if current.get("edited"):
                counts["kept"] += 1
            elif current.get("source") == segment["text"] and current.get("pair") == pair.id:
                counts["reused"] += 1
            else:
                try:
                    result = translate_protected(segment["text"], lambda line: engine.translate(pair, line),
                                                 terms=terms)
                except TranslationUnavailable as exc:
                    raise PermanentJobError(str(exc), code="translation_unavailable") from exc
                made[segment["index"]] = {"text": result.text, "edited": False, "source": segment["text"],
                                          "pair": pair.id}
                counts["translated"] += 1
            progress(i + 1)
        return made

    def _write_translations(self, made: dict[str, dict[int, dict]]) -> None:
        """Store the new machine translations, except where the author wrote one meanwhile."""
        with transaction.atomic():
            dub = Dub.objects.select_for_update().get(pk=self.dub.pk)
            for segment in dub.segments:
                for lang, by_index in made.items():
                    current = (segment.get("translations") or {}).get(lang) or {}
                    if segment["index"] in by_index and not current.get("edited"):
                        segment.setdefault("translations", {})[lang] = by_index[segment["index"]]
            dub.save(update_fields=["segments", "updated_at"])
        self.dub.refresh_from_db()

    def _texts_of(self, lang: str) -> list[tuple[int, str, bool]]:
        return [(s["index"], ((s.get("translations") or {}).get(lang) or {}).get("text", ""),
                 bool(((s.get("translations") or {}).get(lang) or {}).get("edited"))) for s in self.dub.segments]

    def stage_speak(self, inputs: dict) -> dict:
        languages, synthesized, reused = {}, 0, 0
        total = sum(len(texts) for texts in inputs["texts"].values()) or 1
        done = 0
        for lang, texts in inputs["texts"].items():
            clips = []
            for index, text in texts:
                self.ctx.check_cancelled()
                done += 1
                if not text.strip():  # nothing to say: the segment keeps the original voice
                    continue
                said = self._say(lang, text)
                clips.append({"index": index, "key": said["key"], "seconds": said["seconds"],
                              "reused": said["cached"], "voice": said["voice"]})
                synthesized, reused = synthesized + (not said["cached"]), reused + said["cached"]
                self.progress("speak", done / total)
            languages[lang] = {"clips": clips}
        self.ctx.log(f"speech: {synthesized} clip(s) synthesised, {reused} reused from the cache")
        return {"languages": languages, "synthesized": synthesized, "reused": reused}

    def _say(self, lang: str, text: str) -> dict:
        try:
            return tts.speech_clip(project=self.dub.project, language=lang, text=text, work_dir=self.ctx.work_dir,
                                   voice_id=self.dub.voices.get(lang, ""))
        except tts.UnsupportedLanguage as exc:
            raise PermanentJobError(str(exc), code="unsupported_language", details={"language": lang}) from exc

    def stage_mix(self, inputs: dict) -> dict:
        from previews.dubs import media

        source, has_video = self._recording(), self.blob.kind == "video"
        height, timeout = inputs["height"], settings.VIDEO_TIMEOUT_SECONDS
        original = self._original(source, has_video=has_video, height=height)
        slots = {index: (start, end) for index, start, end in inputs["slots"]}
        dubbed, count = {}, len(inputs["clips"])
        for n, (lang, clips) in enumerate(inputs["clips"].items()):
            self.ctx.check_cancelled()
            # every segment takes part, a silent one (no text in this language) with nothing to say: a clip
            # then never runs into the next segment, spoken or not
            indices = sorted(slots)
            said = {index: (key, seconds) for index, key, seconds in clips}
            fit = media.fit([slots[i] for i in indices], [said[i][1] if i in said else 0.0 for i in indices],
                            end=inputs["duration"])
            paths = [fetch(said[i][0], self.ctx.work_dir / "clips" / Path(said[i][0]).name) if i in said else None
                     for i in indices]
            out = self.ctx.work_dir / f"dubbed-{lang}.mp4"
            # with the recording's own sound as a second track, in step with this picture's holds
            seconds = media.render_dubbed(source, has_video=has_video, fit=fit, clips=paths, out=out, height=height,
                                          work_dir=self.ctx.work_dir, timeout=timeout,
                                          should_cancel=self.ctx.cancelled, language=lang,
                                          original_language=self.outputs["asr"]["language"])
            key = f"{self.prefix}/mix/dubbed-{lang}.mp4"
            publish_file(key=key, path=out)
            dubbed[lang] = {"videoKey": key, "duration": seconds, "fit": fit_json(fit, indices),
                            "segmentsSpedUp": fit.sped_up, "grownSeconds": round(fit.grown, 3)}
            self.progress("mix", (n + 1) / max(1, count))
        return {"original": original, "dubbed": dubbed, "spedUp": sum(d["segmentsSpedUp"] for d in dubbed.values()),
                "grown": max((d["grownSeconds"] for d in dubbed.values()), default=0.0)}

    def _original(self, source: Media, *, has_video: bool, height: int) -> dict:
        """The recording's own picture and sound as an MP4: made once per recording and height, whatever
        the translations (a rerun after an edit reuses it)."""
        from previews.dubs import media

        language = self.outputs["asr"]["language"]  # its track is named for it
        key = f"{self.prefix}/mix/original-{self.dub.source_sha256[:16]}-{height}-{language}.mp4"
        duration_key = f"{key}.json"
        if trusted(key) and trusted(duration_key):
            seconds = json.loads(fetch(duration_key, self.ctx.work_dir / "original.json").read_text())["duration"]
            return {"videoKey": key, "durationKey": duration_key, "duration": seconds, "reused": True}
        out = self.ctx.work_dir / "original.mp4"
        duration = media.render_original(source, has_video=has_video, out=out, height=height,
                                         work_dir=self.ctx.work_dir, timeout=settings.VIDEO_TIMEOUT_SECONDS,
                                         should_cancel=self.ctx.cancelled, language=language)
        publish_file(key=key, path=out)
        self._publish_json("mix/" + Path(duration_key).name, {"duration": duration})
        # both keys in the outputs: a later attempt's cleanup keeps what a finished mix stage names
        return {"videoKey": key, "durationKey": duration_key, "duration": duration, "reused": False}

    def stage_package(self, inputs: dict) -> dict:
        from previews.dubs import media

        mix, source = self.outputs["mix"], self.outputs["asr"]["language"]
        video = self._video(source)
        pictures = {source: fetch(mix["original"]["videoKey"], self.ctx.work_dir / "package" / "original.mp4")}
        for lang, dubbed in mix["dubbed"].items():
            pictures[lang] = fetch(dubbed["videoKey"], self.ctx.work_dir / "package" / f"dubbed-{lang}.mp4")
        subtitles = {lang: [(start, end, text) for start, end, text in cues]
                     for lang, cues in inputs["subtitles"].items()}
        fields = media.package(video, pictures=pictures, subtitles=subtitles,
                               fits={lang: fit_from_json(d["fit"]) for lang, d in mix["dubbed"].items()},
                               work_dir=self.ctx.work_dir / "package", should_cancel=self.ctx.cancelled,
                               progress=lambda fraction: self.progress("package", fraction))
        for name, value in fields.items():
            setattr(video, name, value)
        video.finished_at = timezone.now()
        video.save()
        Dub.objects.filter(pk=self.dub.pk).update(
            video=video, segments_sped_up=mix["spedUp"], grown_seconds=mix["grown"],
            fits={lang: {"segmentsSpedUp": d["segmentsSpedUp"], "grownSeconds": d["grownSeconds"]}
                  for lang, d in mix["dubbed"].items()})
        return {"videoId": str(video.id), "mp4Key": video.mp4_key, "posterKey": video.poster_key,
                "duration": video.duration}

    def _video(self, source: str) -> Video:
        """The dub's Video (one per dub: a rerun packages into the same one, so its links keep working)."""
        video, _ = Video.objects.get_or_create(job=self.job, defaults={
            "owner": self.dub.owner, "project": self.dub.project, "chapter": None, "title": self.dub.title,
            "height": self.job.payload["height"], "languages": [source, *self.dub.target_languages]})
        video.languages = [source, *self.dub.target_languages]
        return video
