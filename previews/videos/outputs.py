"""The video job's stage outputs as typed values.

Each stage returns one of these; the staged-job framework records its JSON (`to_json`: the shape
StageRun rows, stage input hashes and the job's result have always had, so earlier runs stay
reusable) and a retry or the next stage reads it back once (`from_json`), each Timeline parsed
there and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from previews.timeline import Speech, Timeline


def _timelines(data: dict[str, dict]) -> dict[str, Timeline]:
    return {lang: Timeline.parse(timeline) for lang, timeline in data.items()}


@dataclass(frozen=True)
class Plan:
    """Each language's Timeline (its captions, not yet timed to speech) and what each scene says."""

    timelines: dict[str, Timeline]
    languages: list[str]
    labels: list[str]  # how errors name each scene ("step 3 (id 17)", "intro card")
    texts: list[dict[str, str]]  # per scene: language -> narration text (a stand-in's when it falls back)
    recordings: list[dict[str, str]]  # per scene: language -> the author's recording (sha256)
    voices: list[dict[str, str]]  # per scene: language -> the language whose voice says it
    fallbacks: list[dict[str, list[str]]]  # per scene: language -> fields another language stood in for
    captions: list[dict[str, str]]  # per scene: language -> the caption shown
    chapter_state: str

    @property
    def first(self) -> Timeline:
        return self.timelines[self.languages[0]]

    def to_json(self) -> dict[str, Any]:
        timelines = {lang: timeline.to_dict() for lang, timeline in self.timelines.items()}
        return {"timeline": timelines[self.languages[0]], "timelines": timelines, "languages": self.languages,
                "labels": self.labels, "texts": self.texts, "recordings": self.recordings, "voices": self.voices,
                "fallbacks": self.fallbacks, "captions": self.captions, "chapterState": self.chapter_state}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        blank = [{} for _ in data["texts"]]
        return cls(timelines=_timelines(data["timelines"]), languages=data["languages"], labels=data["labels"],
                   texts=data["texts"], recordings=data.get("recordings") or blank,
                   voices=data.get("voices") or blank, fallbacks=data["fallbacks"], captions=data["captions"],
                   chapter_state=data["chapterState"])


@dataclass(frozen=True)
class Said:
    """One scene's speech in one language: a clip of the speech cache and its measured gain."""

    key: str  # where the clip was stored as made
    clip: str  # its id in the speech cache
    seconds: float
    cached: bool  # it was in the cache already
    gain: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # what made it (engine, voice, recording…), as recorded

    def speech(self, language: str) -> Speech:
        return Speech(language=language, clip=self.clip, seconds=self.seconds, gain=self.gain)

    def to_json(self) -> dict[str, Any]:
        return {**self.extra, "key": self.key, "clip": self.clip, "seconds": self.seconds, "cached": self.cached,
                "gain": self.gain}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Said:
        known = ("key", "clip", "seconds", "cached", "gain")
        return cls(key=data["key"], clip=data["clip"], seconds=data["seconds"], cached=data["cached"],
                   gain=data.get("gain"), extra={k: v for k, v in data.items() if k not in known})


@dataclass(frozen=True)
class Narration:
    speech: dict[str, list[Said | None]]  # language -> per scene
    gains: dict[str, float]  # narration asset (sha256) -> gain
    synthesized: int
    measured: int

    def said(self, language: str, i: int) -> Said | None:
        return self.speech[language][i]

    def to_json(self) -> dict[str, Any]:
        return {"speech": {lang: [s.to_json() if s else None for s in clips] for lang, clips in self.speech.items()},
                "gains": self.gains, "synthesized": self.synthesized, "measured": self.measured}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Narration:
        return cls(speech={lang: [Said.from_json(s) if s else None for s in clips]
                           for lang, clips in data["speech"].items()},
                   gains=data["gains"], synthesized=data["synthesized"], measured=data["measured"])


@dataclass(frozen=True)
class SubtitleFiles:
    vtt_key: str
    srt_key: str

    def key(self, fmt: str) -> str:
        return self.vtt_key if fmt == "vtt" else self.srt_key

    def to_json(self) -> dict[str, str]:
        return {"vttKey": self.vtt_key, "srtKey": self.srt_key}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> SubtitleFiles:
        return cls(vtt_key=data["vttKey"], srt_key=data["srtKey"])


@dataclass(frozen=True)
class Captions:
    """Each language's picture timed to its own speech, and its subtitles."""

    timelines: dict[str, Timeline]
    on_picture: dict[str, dict[str, SubtitleFiles]]  # picture -> language -> that language's text on it

    @property
    def subtitles(self) -> dict[str, SubtitleFiles]:
        """Each language's own subtitles (on its own picture)."""
        return {lang: files[lang] for lang, files in self.on_picture.items()}

    def to_json(self) -> dict[str, Any]:
        timelines = {lang: timeline.to_dict() for lang, timeline in self.timelines.items()}
        return {"timeline": next(iter(timelines.values())), "timelines": timelines,
                "subtitles": {lang: files.to_json() for lang, files in self.subtitles.items()},
                "onPicture": {picture: {lang: files.to_json() for lang, files in by_lang.items()}
                              for picture, by_lang in self.on_picture.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Captions:
        return cls(timelines=_timelines(data["timelines"]),
                   on_picture={picture: {lang: SubtitleFiles.from_json(files) for lang, files in by_lang.items()}
                               for picture, by_lang in data["onPicture"].items()})


@dataclass(frozen=True)
class RenderedPicture:
    """One language's MP4 as the render stage left it (in the job's work folder)."""

    video_key: str
    duration: float
    bytes: int
    width: int
    height: int
    channels: list[int]
    rendered: int
    reused: int
    pieces: int
    encoded: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"videoKey": self.video_key, "duration": self.duration, "bytes": self.bytes, "width": self.width,
                "height": self.height, "channels": self.channels, "rendered": self.rendered, "reused": self.reused,
                "pieces": self.pieces, "encoded": self.encoded, "seconds": self.seconds}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RenderedPicture:
        return cls(video_key=data["videoKey"], duration=data["duration"], bytes=data["bytes"], width=data["width"],
                   height=data["height"], channels=data["channels"], rendered=data["rendered"],
                   reused=data["reused"], pieces=data["pieces"], encoded=data["encoded"],
                   seconds=data.get("seconds", 0.0))


COUNTERS = ("rendered", "reused", "pieces", "encoded")


@dataclass(frozen=True)
class Rendered:
    pictures: dict[str, RenderedPicture]  # in the video's language order
    piece_jobs: dict[str, int] | None  # the batch of piece jobs that rendered its missing pieces, if any
    render_seconds: float  # wall time, piece jobs included

    @property
    def first(self) -> RenderedPicture:
        return next(iter(self.pictures.values()))

    def to_json(self) -> dict[str, Any]:
        first = self.first
        return {"videoKey": first.video_key, "duration": first.duration, "width": first.width,
                "height": first.height, "channels": first.channels,
                "pictures": {lang: p.to_json() for lang, p in self.pictures.items()},
                **{name: sum(getattr(p, name) for p in self.pictures.values()) for name in COUNTERS},
                "pieceJobs": self.piece_jobs, "renderSeconds": self.render_seconds}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rendered:
        return cls(pictures={lang: RenderedPicture.from_json(p) for lang, p in data["pictures"].items()},
                   piece_jobs=data.get("pieceJobs"), render_seconds=data.get("renderSeconds", 0.0))


@dataclass(frozen=True)
class Packaged:
    """The published video: its MP4s, poster, HLS tree and what the watch page reads of each
    language's picture (`pictures`, stored as it is in Video.pictures)."""

    mp4_key: str
    poster_key: str
    master_key: str
    duration: float
    size: int
    pictures: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"mp4Key": self.mp4_key, "posterKey": self.poster_key, "masterKey": self.master_key,
                "duration": self.duration, "size": self.size, "pictures": self.pictures}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Packaged:
        return cls(mp4_key=data["mp4Key"], poster_key=data["posterKey"], master_key=data["masterKey"],
                   duration=data["duration"], size=data["size"], pictures=data["pictures"])
