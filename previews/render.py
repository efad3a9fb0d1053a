"""The one render path: a Timeline (or a piece of it) becomes FFmpeg graphs and files, for
previews and videos alike.

- The picture is a sequence of segments (scene bodies and transitions) with frame counts from
  `Timeline.spans()`, the one definition of scene timing. Segments are rendered as *pieces*
  cached by content (`Segment` rows): a video piece is one segment, so an edit re-encodes only
  what it touched; a preview too long for one process is cut into chunks of consecutive scenes.
  Missing pieces are rendered several per FFmpeg process (each its own output), at most
  RENDER_CHUNK_SCENES scenes per process, so memory stays flat however long the chapter is.
- A short preview renders in one process and one encoder, with its sound: the shape of the best
  hand-written command.
- The finished file (pieces joined in-process without re-encoding, then every audio track and
  the subtitles added) is made by one more process.
Deterministic FFmpeg failures become permanent job errors naming the steps involved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
import wave
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from assets.models import Blob
from assets.sniffing import demuxer_for
from contentizer.brand import TEXT_COLOR
from contentizer.jobs import fanout
from contentizer.jobs.errors import JobCancelled, PermanentJobError, TransientJobError
from contentizer.jobs.models import Job
from contentizer.jobs.runner import JobContext
from contentizer.languages import iso639_2
from contentizer.media import compose, ffmpeg, framing, pcm, probe, remux
from contentizer.media.compose import Clip, Media, Picture, Segment, Track
from contentizer.storage import fetch, publish_file, trusted
from contentizer.transitions import xfade
from previews import cards, speech, stills
from previews.models import Segment as SegmentRow
from previews.timeline import Timeline

logger = logging.getLogger(__name__)

PIECE_PREFIX = "videos/cache/segments"
TRACK_PREFIX = "videos/cache/tracks"
TRACK_VERSION = 1
GRAPH_VERSION = 5  # part of every piece's key: a change of graph shape renders anew
EFFECTS_VERSION = 2  # part of the key of every piece showing effects: a new way of drawing them renders anew
CAPTION_VERSION = 1  # part of the key of every body with a styled caption
LOGO_VERSION = 1  # part of the key of every piece of a timeline with a logo
SILENT_RATE = 22050


def encoder(quality: str) -> dict:
    threads = settings.FFMPEG_THREADS
    if quality == "final":
        # no forced keyframe interval: every piece starts with one, so HLS still cuts at every scene,
        # and a still held for seconds costs no periodic full picture
        return {"preset": settings.VIDEO_PRESET, "crf": settings.VIDEO_CRF, "gop": 0, "threads": threads}
    return {"preset": settings.PREVIEW_PRESET, "crf": settings.PREVIEW_CRF, "gop": 0, "threads": threads}


def _hash(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Made:
    """Pieces as local files, and how many were rendered now and reused from the cache."""

    local: dict[str, Path]
    rendered: int
    reused: int


@dataclass(frozen=True)
class Piece:
    segments: tuple[Segment, ...]
    key: str

    def scenes(self) -> set[int]:
        return {i for seg in self.segments for i in seg.scenes()}


class Render:
    """Renders one timeline inside one job attempt (its work dir, log, cancel switch)."""

    def __init__(self, ctx: JobContext, timeline: Timeline, labels: list[str], *, timeout: float,
                 on_progress: Callable[[float], None] = lambda fraction: None, workspace: str = "render") -> None:
        self.ctx, self.timeline, self.labels, self.timeout = ctx, timeline, labels, timeout
        self.on_progress = on_progress
        # one folder per timeline rendered in a job: each language's picture draws its own cards
        # and captions under the same names
        self.dir = ctx.work_dir / workspace
        self.dir.mkdir(parents=True, exist_ok=True)
        self.picture = self._picture()

    # --- the picture ------------------------------------------------------------------------

    def _label(self, i: int) -> str:
        return self.labels[i] if i < len(self.labels) else f"scenes[{i}]"

    def _picture(self) -> Picture:
        out, scenes = self.timeline.output, []
        for i, (scene, (frames, head, tail)) in enumerate(zip(self.timeline.scenes, self.timeline.spans(),
                                                              strict=True)):
            if scene.asset:
                blob = self._blob(scene.asset, i)
                ext = "png" if stills.needs_first_frame(blob.ext) else blob.ext  # its first frame, drawn once
                source = Media(self.dir / "in" / f"{scene.asset}.{ext}", demuxer_for(ext))
            else:
                source = Media(self.dir / f"card-{i}.png", "image2")
            look = self._look(i, frames - head - tail) if scene.asset and scene.effects else None
            look = look if look and look.shows else None
            scenes.append(compose.Scene(
                source=source, still=scene.type != "video", frames=frames, head=head, tail=tail,
                xfade=xfade(scene.transition.type) if tail else "",
                caption=self.dir / f"caption-{i}.png" if scene.caption else None,
                look=look, ring=self.dir / "click-ring.png" if look and look.click else None,
            ))
        return Picture(width=out.width, height=out.height, fps=out.fps, scenes=tuple(scenes),
                       **encoder(out.quality), **self._logo())

    def _logo(self) -> dict:
        """Where the logo goes, from its picture's recorded size (drawn only when a piece needs it)."""
        logo = self.timeline.style.logo
        if logo is None:
            return {}
        blob = self._blob(logo.asset, None, "style.logo")
        if not blob.width or not blob.height:
            raise PermanentJobError("The logo's size is unknown; upload the logo again.")
        size = cards.logo_size(logo, (blob.width, blob.height), self.timeline.output)
        return {"logo": self.dir / "logo.png", "logo_at": cards.logo_at(logo, size, self.timeline.output)}

    def _look(self, i: int, body: int) -> framing.Look:
        scene, out = self.timeline.scenes[i], self.timeline.output
        blob = self._blob(scene.asset, i)
        if not blob.width or not blob.height:  # a blur must never be skipped: refuse rather than guess
            raise PermanentJobError(f"{self._label(i)}: the picture's size is unknown, so its effects cannot be "
                                    "placed; upload the picture again.")
        return framing.look_for(scene.effects, size=(blob.width, blob.height), width=out.width, height=out.height,
                                fps=out.fps, body_frames=body)

    def _blob(self, sha256: str, i: int | None, where: str = "") -> Blob:
        blob = Blob.objects.filter(sha256=sha256).first()
        if blob is None:
            raise PermanentJobError(f"{where or self._label(i)}: asset {sha256[:12]}… is no longer in the asset store.")
        return blob

    def _prepare(self, segments: list[Segment]) -> None:
        """Fetch the pictures and draw the cards of the scenes these segments show, and the
        captions of those whose body is among them (a transition shows no caption). Only what
        a missing piece needs: a cached piece needs nothing."""
        bodies = {seg.index for seg in segments if seg.kind == "body"}
        if segments and self.picture.logo is not None and not self.picture.logo.exists():
            self._draw_logo()
        for i in sorted({i for seg in segments for i in seg.scenes()}):
            self.ctx.check_cancelled()
            scene, pic_scene = self.timeline.scenes[i], self.picture.scenes[i]
            if scene.asset:
                self._fetch_picture(scene.asset, pic_scene.source.path, self._label(i))
            else:
                cards.title_card(scene.title, scene.color, self.timeline.output, pic_scene.source.path,
                                 text_color=scene.text_color, subtitle=scene.subtitle)
            if pic_scene.ring is not None and not pic_scene.ring.exists():
                cards.click_ring(pic_scene.ring)
            if scene.caption and i in bodies:
                _, at = cards.caption_overlay(scene.caption, self.timeline.output, pic_scene.caption,
                                              self.timeline.style.caption)
                scenes = list(self.picture.scenes)
                scenes[i] = replace(pic_scene, caption_at=at)
                self.picture = replace(self.picture, scenes=tuple(scenes))

    def _draw_logo(self) -> None:
        logo = self.timeline.style.logo
        blob = self._blob(logo.asset, None, "style.logo")
        ext = "png" if stills.needs_first_frame(blob.ext) else blob.ext
        source = self._fetch_picture(logo.asset, self.dir / "in" / f"{logo.asset}.{ext}", "The logo")
        try:
            _, at = cards.logo_overlay(source, logo, self.timeline.output, self.picture.logo)
        except (OSError, ValueError) as exc:  # Pillow: it decoded at upload, so this is the file
            raise PermanentJobError("The logo's picture does not decode; upload it again.") from exc
        if at != self.picture.logo_at:  # the recorded size and the file disagree: place it by the file
            self.picture = replace(self.picture, logo_at=at)

    def _fetch_picture(self, sha256: str, target: Path, where: str) -> Path:
        """A scene's picture in the work dir, as the graph reads it: a GIF or WebP becomes a PNG of
        its first frame."""
        blob = self._blob(sha256, None, where)
        if target.exists() or not stills.needs_first_frame(blob.ext):
            return self._fetch(sha256, target, where)
        original = self._fetch(sha256, target.with_suffix(f".{blob.ext}"), where)
        try:
            return stills.first_frame(original, target, ext=blob.ext)
        except (OSError, ValueError, EOFError) as exc:  # Pillow: it decoded at upload, so this is the file
            raise PermanentJobError(f"{where}: the picture of asset {sha256[:12]}… does not decode.") from exc

    def _fetch(self, sha256: str, target: Path, where: str) -> Path:
        """Copy a blob from storage to the work dir (FFmpeg reads local files; storage may be S3)."""
        if target.exists():
            return target
        blob = self._blob(sha256, None, where)
        try:
            return fetch(blob.storage_key, target, size=blob.size, sha256=blob.sha256)  # a cut blob never renders
        except FileNotFoundError:
            raise PermanentJobError(
                f"{where}: the file of asset {sha256[:12]}… is missing from storage.") from None
        except OSError as exc:
            why = exc.strerror or type(exc).__name__  # str(exc) would name a server path
            raise TransientJobError(f"{where}: reading asset {sha256[:12]}… failed ({why}).") from exc

    # --- pieces -----------------------------------------------------------------------------

    def _source(self, i: int) -> list:
        """What scene i's picture is made of, its caption aside."""
        scene = self.timeline.scenes[i]
        card = [scene.color, scene.title]
        if scene.text_color != TEXT_COLOR or scene.subtitle:  # a version 2 card keeps its key
            card += [scene.text_color, scene.subtitle]
        return [scene.type, scene.asset, None if scene.asset else card]

    def _shape(self, seg: Segment) -> list:
        """Everything that shapes a segment's frames, and nothing else (not its place in the
        chapter): an edit re-renders exactly the segments it changes."""
        scene = self.picture.scenes[seg.index]
        if seg.kind == "body":
            caption = self.timeline.scenes[seg.index].caption
            style = self.timeline.style.caption
            # a caption's style shapes only the bodies that show a caption; the default look keeps the old key
            caption = [caption, CAPTION_VERSION, style.to_json()] if caption and not style.is_default else caption
            shape = ["body", self._source(seg.index), caption, scene.head if not scene.still else 0, scene.body]
            # a scene without effects keeps the key it had before effects existed
            return [*shape, self._effects(seg.index)] if self.picture.scenes[seg.index].look else shape
        offset = 0 if scene.still else scene.head + scene.body
        return ["transition", scene.xfade, scene.tail, self._framed(seg.index), offset, self._framed(seg.index + 1)]

    def _effects(self, i: int) -> list:
        return [EFFECTS_VERSION, self.timeline.scenes[i].effects.to_json()]

    def _framed(self, i: int) -> list:
        """What scene i looks like in a transition: its source, and its redaction and framing when
        it has them (highlight, zoom and click show in the body only)."""
        look = self.picture.scenes[i].look
        if look is None or not look.reframes:
            return self._source(i)
        effects = self.timeline.scenes[i].effects
        return [*self._source(i), EFFECTS_VERSION, [r.to_json() for r in effects.blur],
                effects.focus.to_json() if effects.focus and not look.letterboxed else None]

    def _piece(self, segments: tuple[Segment, ...]) -> Piece:
        out, pic = self.timeline.output, self.picture
        # the encoder's threads shape its bytes (not whether pieces join): a setting of them is part of the key
        threads = [pic.threads] if pic.threads else []
        shape = [GRAPH_VERSION, cards.LAYOUT_VERSION, ffmpeg.version(), out.width, out.height, out.fps,
                 pic.preset, pic.crf, pic.gop, *threads, [self._shape(seg) for seg in segments]]
        if logo := self.timeline.style.logo:  # on every frame; without one, the key as before logos
            shape.append([LOGO_VERSION, logo.to_json()])
        return Piece(segments=segments, key=_hash(shape))

    def pieces(self, *, chunk_scenes: int | None = None) -> list[Piece]:
        """One piece per segment, or (with `chunk_scenes`) runs of segments covering that many
        scenes each."""
        segments = self.picture.segments()
        if not chunk_scenes:
            return [self._piece((seg,)) for seg in segments]
        runs: list[list[Segment]] = [[]]
        for seg in segments:
            if runs[-1] and seg.kind == "body" and seg.index % chunk_scenes == 0:
                runs.append([])
            runs[-1].append(seg)
        return [self._piece(tuple(run)) for run in runs]

    def render_pieces(self, pieces: list[Piece]) -> Made:
        """Every piece as a local file: cached ones fetched, missing ones rendered (several per
        process, processes two at a time)."""
        keys = [p.key for p in pieces]
        cached = self._cached(pieces)
        SegmentRow.objects.filter(key__in=list(cached)).update(used_at=timezone.now())
        missing = list({p.key: p for p in pieces if p.key not in cached}.values())
        local = {key: fetch(row.storage_key, self.dir / f"piece-{key[:16]}.mp4") for key, row in cached.items()}
        local.update(self.render_missing(missing))
        return Made(local=local, rendered=len(missing), reused=len(set(keys)) - len(missing))

    @staticmethod
    def _cached(pieces: list[Piece]) -> dict[str, SegmentRow]:
        rows = SegmentRow.objects.filter(key__in=[p.key for p in pieces])
        return {row.key: row for row in rows if trusted(row.storage_key)}

    def missing(self, pieces: list[Piece]) -> list[Piece]:
        """The pieces no one has published yet, each once."""
        cached = self._cached(pieces)
        return list({p.key: p for p in pieces if p.key not in cached}.values())

    def groups(self, missing: list[Piece], scenes_each: int | None = None) -> list[list[Piece]]:
        """Missing pieces as the runs one render process makes: at most `scenes_each` scenes
        (RENDER_CHUNK_SCENES unless told)."""
        limit, groups, scenes = scenes_each or settings.RENDER_CHUNK_SCENES, [[]], set()
        for piece in missing:
            if groups[-1] and len(scenes | piece.scenes()) > limit:
                groups.append([])
                scenes = set()
            groups[-1].append(piece)
            scenes |= piece.scenes()
        return [g for g in groups if g]

    def render_missing(self, missing: list[Piece]) -> dict[str, Path]:
        """Render these pieces here (several per process, VIDEO_RENDER_THREADS processes at once),
        each published under its key once verified. Returns piece key -> local path."""
        groups, made, failed = self.groups(missing), {}, threading.Event()
        self._prepare([seg for piece in missing for seg in piece.segments])  # on this thread; FFmpeg in the pool

        def encode(group: list[Piece]) -> list[tuple[Piece, Path]]:
            outs = [(piece, self.dir / f"piece-{piece.key[:16]}.mp4") for piece in group]
            self._run(compose.pieces_args(self.picture, [(p.segments, path) for p, path in outs]),
                      scenes=set().union(*(p.scenes() for p in group)), cancel=failed)
            return outs

        with ThreadPoolExecutor(max_workers=settings.VIDEO_RENDER_THREADS) as pool:
            futures = [pool.submit(encode, group) for group in groups]
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    for piece, path in future.result():
                        made[piece.key] = self._keep(piece, path)
                    self.on_progress(done / (len(groups) + 1))
            except BaseException:
                failed.set()  # the other encoders stop too
                raise
        return made

    def _keep(self, piece: Piece, path: Path) -> Path:
        try:
            frames = probe.count_frames(str(path), demuxer="mp4")
        except probe.ProbeError as exc:
            raise PermanentJobError(f"{self._names(piece.scenes())}: the rendered piece does not open.") from exc
        expected = sum(self.picture.frames(s) for s in piece.segments)
        if frames != expected:  # the same graph would make the same frames again
            raise PermanentJobError(f"{self._names(piece.scenes())}: the rendered piece has {frames} frames "
                                    f"instead of {expected}.")
        storage_key = f"{PIECE_PREFIX}/{piece.key}.mp4"
        published = self.dir / f"publish-{piece.key[:16]}.mp4"
        shutil.copyfile(path, published)  # publishing may move the file; the local one is joined later
        publish_file(key=storage_key, path=published)
        SegmentRow.objects.update_or_create(key=piece.key, defaults={"storage_key": storage_key, "frames": frames})
        return path

    # --- sound ------------------------------------------------------------------------------

    def _audio(self, sha256: str, where: str) -> Media:
        blob = self._blob(sha256, None, where)
        path = self._fetch(sha256, self.dir / "in" / f"{sha256}.{blob.ext}", where)
        return Media(path, demuxer_for(blob.ext), blob.duration)

    def _speech(self, clip: str, seconds: float) -> Media:
        path = self.dir / "speech" / f"{clip}.wav"
        if not path.exists():
            try:
                fetch(speech.clip_key(clip), path)
            except FileNotFoundError:
                raise TransientJobError("A narration clip vanished from the speech cache.") from None
        return Media(path, "wav", seconds)

    def tracks(self) -> list[Track]:
        """One track per language of the timeline (one unlabelled track when it has none),
        at the sample rate and channel count of what is heard on it."""
        timeline, duration = self.timeline, self.picture.total_frames / self.picture.fps
        music = self._audio(timeline.music.asset, "audio.music") if timeline.music else None
        tracks = []
        for language in timeline.languages or ("",):
            clips = []
            for i, (start, scene) in enumerate(zip(timeline.starts(), timeline.scenes, strict=True)):
                if scene.narration:
                    clips.append(Clip(self._audio(scene.narration, self._label(i)), start, scene.narration_gain))
                if language and (spoken := scene.speech_in(language)):
                    clips.append(Clip(self._speech(spoken.clip, spoken.seconds), start, spoken.gain))
            rate, channels = self._format([c.media for c in clips] + ([music] if music else []))
            track = Track(duration=duration, rate=rate, channels=channels, clips=tuple(clips), music=music,
                          music_volume=timeline.music.volume if timeline.music else compose.MUSIC_VOLUME,
                          language=iso639_2(language) if language else "")
            tracks.append(self._laid_out(track, language))
        return tracks

    def _laid_out(self, track: Track, language: str) -> Track:
        """A track of WAV clips at the track's own format, played as they are and not
        overlapping, needs no mixing: its clips are placed in-process into one WAV (FFmpeg would
        hold every clip's input open, waiting, until its turn comes)."""
        if track.music or not track.clips or any(c.gain_db or c.media.demuxer != "wav" for c in track.clips):
            return track
        try:
            formats = [pcm.wav_format(c.media.path) for c in track.clips]
        except (ValueError, EOFError, wave.Error):  # 24-bit, float or extensible WAV: FFmpeg mixes it
            return track
        starts = [round(c.start * track.rate) for c in track.clips]
        order = sorted(range(len(starts)), key=starts.__getitem__)
        if any(f[:2] != (track.rate, track.channels) for f in formats) or any(
                starts[a] + formats[a][2] > starts[b] for a, b in zip(order, order[1:], strict=False)):
            return track
        out = self.dir / f"track-{language or 'all'}.wav"
        pcm.lay_out([(c.media.path, s) for c, s in zip(track.clips, starts, strict=True)], rate=track.rate,
                    channels=track.channels, frames=track.samples, out=out)
        return replace(track, premixed=Media(out, "wav", track.duration))

    def _format(self, sources: list[Media]) -> tuple[int, int]:
        """The highest rate and channel count among the sources: nothing is resampled down that
        AAC can carry (a source above 48 kHz or below 8 kHz is resampled to the nearest rate it
        can), a mono narration stays mono."""
        formats = {media.path: _audio_format(media) for media in sources}
        if not formats:
            return SILENT_RATE, 1
        return compose.aac_rate(max(r for r, _ in formats.values())), min(2, max(c for _, c in formats.values()))

    # --- whole outputs ----------------------------------------------------------------------

    def single(self, out: Path) -> Path:
        """Picture and sound in one process and one encoder."""
        self._prepare(self.picture.segments())
        tracks = self.tracks()
        self._run(compose.single_args(self.picture, tracks, out), scenes=set(range(len(self.timeline.scenes))),
                  seconds=self.timeline.duration)
        return out

    def assemble(self, pieces: list[Piece], local: dict[str, Path], out: Path,
                 subtitles: Sequence[tuple[Path, str]] = (), encoded: list[tuple[Path, str]] | None = None) -> Path:
        """The finished MP4: pieces joined, the sound (encoded here, or `encoded` tracks copied)."""
        joined = self.dir / "joined.mp4"
        try:
            remux.join_video([local[p.key] for p in pieces], joined, fps=self.picture.fps)
        except remux.JoinError as exc:
            if exc.index is None:  # writing failed (a full disk): worth another attempt
                raise TransientJobError(f"Joining the rendered pieces failed: {exc}") from exc
            # our own pieces refused: the same pieces would be refused again
            raise PermanentJobError(f"{self._names(pieces[exc.index].scenes())}: joining the rendered pieces "
                                    f"failed: {exc}") from exc
        duration = self.picture.total_frames / self.picture.fps
        sound = {"encoded": encoded} if encoded is not None else {"tracks": self.tracks()}
        self._run(compose.assemble_args(video=joined, duration=duration, subtitles=subtitles, out_path=out,
                                        **sound), scenes=set())
        return out

    def encoded_tracks(self) -> tuple[list[tuple[Path, str]], int]:
        """Every track as an M4A, cached by exactly what it is made of (its clips and their
        places and gains, the music, the length and format): after an edit that changes no
        sound, nothing is encoded again. Missing ones are encoded in one process."""
        timeline, starts = self.timeline, self.timeline.starts()
        wanted = []
        for language in timeline.languages or ("",):
            clips = [[s.narration, s.narration_gain, start, (said.clip, said.gain) if (
                said := s.speech_in(language)) else None] for s, start in zip(timeline.scenes, starts, strict=True)]
            music = [timeline.music.asset, timeline.music.volume] if timeline.music else None
            key = _hash([TRACK_VERSION, compose.AAC, clips, music, self.picture.total_frames, self.picture.fps,
                         language, ffmpeg.version()])
            wanted.append((language, f"{TRACK_PREFIX}/{key}.m4a", self.dir / f"track-{key[:16]}.m4a"))
        missing = [i for i, (_, key, _) in enumerate(wanted) if not trusted(key)]
        if missing:
            tracks = self.tracks()
            self._run(compose.tracks_args([tracks[i] for i in missing], [wanted[i][2] for i in missing]), scenes=set())
            for i in missing:
                published = wanted[i][2].with_name(f"publish-{wanted[i][2].name}")
                shutil.copyfile(wanted[i][2], published)
                publish_file(key=wanted[i][1], path=published)
        return [(path if path.exists() else fetch(key, path), iso639_2(language) if language else "")
                for language, key, path in wanted], len(missing)

    def _run(self, args: list[str], *, scenes: set[int], seconds: float | None = None,
             cancel: threading.Event | None = None) -> None:
        try:
            ffmpeg.run(args, timeout=self.timeout, total_seconds=seconds, log_path=str(self.ctx.log_path),
                       should_cancel=lambda: self.ctx.cancelled() or bool(cancel and cancel.is_set()),
                       on_progress=(lambda p: self.on_progress(p / 100)) if seconds else None)
        except ffmpeg.FFmpegCancelled:
            raise
        except ffmpeg.FFmpegUnavailable as exc:  # this machine's fault, not the steps': another worker may do
            raise TransientJobError(str(exc)) from exc
        except ffmpeg.FFmpegError as exc:
            if exc.deterministic:
                raise PermanentJobError(f"{self._culprits(exc, scenes)}: FFmpeg cannot render "
                                        f"{'them' if len(scenes) > 1 else 'it'}: {exc.reason()}.") from exc
            # worth another attempt; FFmpeg's own words (with work paths) stay in the job's log
            raise TransientJobError(f"{self._culprits(exc, scenes)}: FFmpeg stopped ({exc.args[0]}); "
                                    "its output is in the job's log.") from exc

    def _culprits(self, exc: ffmpeg.FFmpegError, scenes: set[int]) -> str:
        """The steps to name: those whose files FFmpeg complains about, else all it was given."""
        named = {i for i in scenes if str(self.picture.scenes[i].source.path) in exc.stderr_tail}
        return self._names(named or scenes)

    def _names(self, scenes: set[int]) -> str:
        chosen = sorted(scenes)
        if not chosen:
            return "The finished video"
        return ", ".join(self._label(i) for i in chosen[:5]) + (" and more" if len(chosen) > 5 else "")


# --- the one call ------------------------------------------------------------------------------

PIECE_KIND = "piece"  # previews.pieces renders them


@dataclass(frozen=True)
class Output:
    """What to make of one timeline (its shape, resolution and quality are the timeline's own
    `output`; its languages are its tracks)."""

    path: Path
    # "single": picture and sound in one process and one encoder, the shape of the best hand-written
    # command; "chunks": runs of RENDER_CHUNK_SCENES scenes, each a piece cached by content;
    # "segments": one piece per scene body and per transition, so an edit re-encodes only what it touched
    piecing: str = "single"
    # "mixed": the tracks mixed in the process that makes the file; "cached": each track encoded once,
    # cached by what it is made of, and copied in
    sound: str = "mixed"
    subtitles: tuple[tuple[Path, str], ...] = ()
    workspace: str = "render"  # its folder in the job's work dir


@dataclass(frozen=True)
class FanOut:
    """Missing pieces go to piece jobs any worker takes when there are more than `over` of them
    (a job that fans out ends its attempt: JobWaiting)."""

    over: int
    progress: tuple[float, float]  # the job's progress bar they fill


@dataclass(frozen=True)
class Report:
    """What a render made: the verified file and what it took."""

    path: Path
    frames: int
    fps: int
    duration: float  # probed
    width: int
    height: int
    rendered: int  # pieces rendered now (by this job or its piece jobs)
    reused: int  # pieces taken from the cache
    pieces: int
    tracks_encoded: int
    channels: tuple[int, ...]  # of its audio track
    seconds: float  # wall time of this render


def render(ctx: JobContext, wanted: Sequence[tuple[Timeline, Output]], *, labels: list[str], timeout: float,
           on_progress: Callable[[float], None] = lambda fraction: None, fan_out: FanOut | None = None
           ) -> list[Report]:
    """The one render call of previews and videos: each timeline made into its output, verified.

    Steps: plan the pieces (pure: content keys from what shapes each piece's frames); render the
    missing ones here or hand them to piece jobs (`fan_out`); join them without re-encoding; add the
    sound (encoded once over the whole timeline, never per piece) and subtitles; verify the file.
    """
    count = len(wanted)
    renders = [Render(ctx, timeline, labels, timeout=timeout, workspace=out.workspace,
                      on_progress=lambda fraction, n=n: on_progress((n + fraction) / count))
               for n, (timeline, out) in enumerate(wanted)]
    planned = [plan(r, out) for r, (_, out) in zip(renders, wanted, strict=True)]
    ended = fanout.joined(ctx.job) if fan_out else None
    if ended is not None:
        if ended.failed:
            raise PermanentJobError(f"A piece of the video could not be rendered: {ended.error}")
        if ended.cancelled:
            raise JobCancelled
    elif fan_out is not None:
        _fan_out(ctx, renders, planned, fan_out)
    handed = _handed_out(ctx.job) if ended is not None else set()
    return [_made(r, out, pieces, handed=handed) for r, (_, out), pieces in zip(renders, wanted, planned, strict=True)]


def _handed_out(job) -> set[str]:
    """The keys of the pieces the job's latest batch of piece jobs rendered."""
    runs = Job.objects.filter(parent=job, batch=job.fan_out).values_list("payload__pieces", flat=True)
    return {piece["key"] for pieces in runs for piece in pieces or ()}


def plan(render_: Render, out: Output) -> list[Piece]:
    """The pieces of an output, each named by its content (no piece for "single")."""
    if out.piecing == "single":
        return []
    return render_.pieces(chunk_scenes=settings.RENDER_CHUNK_SCENES if out.piecing == "chunks" else None)


def _fan_out(ctx: JobContext, renders: list[Render], planned: list[list[Piece]], spec: FanOut) -> None:
    """Hand the missing pieces (each once, though pictures share some) to piece jobs, one per run
    of PIECE_JOB_SCENES scenes (small enough that workers share the last runs evenly), when there
    are more than `spec.over`."""
    payloads, seen = [], set()
    for render_, pieces in zip(renders, planned, strict=True):
        missing = [p for p in render_.missing(pieces) if p.key not in seen]
        seen |= {p.key for p in missing}
        payloads += [{"videoJob": str(ctx.job.pk), "timeline": render_.timeline.to_dict(), "labels": render_.labels,
                      "pieces": [{"key": p.key, "segments": [[s.kind, s.index] for s in p.segments]} for p in group]}
                     for group in render_.groups(missing, min(settings.PIECE_JOB_SCENES,
                                                             settings.RENDER_CHUNK_SCENES))]
    if len(seen) > spec.over:
        fanout.fan_out(parent=ctx.job, kind=PIECE_KIND, payloads=payloads, stage="render", noun="pieces",
                       progress=spec.progress)


def _made(render_: Render, out: Output, pieces: list[Piece], *, handed: set[str]) -> Report:
    started, timeline = time.monotonic(), render_.timeline
    tracks_encoded = 0
    if out.piecing == "single":
        render_.single(out.path)
        rendered, reused = 1, 0
    else:
        made = render_.render_pieces(pieces)
        encoded = None
        if out.sound == "cached":
            encoded, tracks_encoded = render_.encoded_tracks()
        render_.assemble(pieces, made.local, out.path, subtitles=out.subtitles, encoded=encoded)
        by_jobs = len({p.key for p in pieces} & handed)  # rendered for this render, by piece jobs
        rendered, reused = made.rendered + by_jobs, made.reused - by_jobs
    frames, fps = render_.picture.total_frames, timeline.output.fps
    duration = verify(out.path, frames=frames, fps=fps, audio=max(1, len(timeline.languages)),
                      subtitles=len(out.subtitles))
    return Report(path=out.path, frames=frames, fps=fps, duration=duration, width=timeline.output.width,
                  height=timeline.output.height, rendered=rendered, reused=reused,
                  pieces=len({p.key for p in pieces}) or 1, tracks_encoded=tracks_encoded,
                  channels=(_audio_format(Media(out.path, "mp4"))[1],), seconds=round(time.monotonic() - started, 3))


def verify(path: Path, *, frames: int, fps: int, audio: int, subtitles: int) -> float:
    """The one check of a finished file, a preview's or a video's: one H.264 stream of exactly
    `frames` frames, `audio` AAC tracks and `subtitles` subtitle tracks, lasting its picture to
    within 0.1 s (the sound's last AAC frame may run a little past it). Returns its duration.
    It is our own output: what fails here would fail again, so the failure is permanent."""
    try:
        info = probe.probe(str(path), demuxer="mp4", max_streams=64, count_frames=True)
    except probe.ProbeError as exc:
        raise PermanentJobError(f"The finished file does not open ({exc.args[0].split(':')[0]}).") from exc
    kinds = [(s.type, s.codec) for s in info.streams]
    wanted = [("video", "h264")] + [("audio", "aac")] * audio
    if sorted(k for k in kinds if k[0] != "subtitle") != sorted(wanted) or len(kinds) - len(wanted) != subtitles:
        raise PermanentJobError(f"The finished file has the wrong streams: {', '.join(f'{t} {c}' for t, c in kinds)}.")
    expected = frames / fps
    if info.duration is None or abs(info.duration - expected) > 0.1:
        raise PermanentJobError(f"The finished file lasts {info.duration}s instead of {expected:.3f}s.")
    if info.video_frames != frames:  # the container's duration follows the longer track: the picture must be whole
        raise PermanentJobError(f"The finished file has {info.video_frames} frames instead of {frames}.")
    return info.duration


def _audio_format(media: Media) -> tuple[int, int]:
    try:
        return probe.audio_format(str(media.path), demuxer=media.demuxer)
    except probe.ProbeError as exc:
        raise PermanentJobError(f"An audio file cannot be read: {exc}") from exc
