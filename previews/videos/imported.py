"""Videos that arrive finished (an export's render): packaged and recorded without rendering again.

`video_package_finished` checks the MP4 (it comes from a zip anyone may have written) and cuts
HLS, the playlists and the poster from it with the same packaging code a render uses, into a
local folder; `video_record_finished` then publishes those files and records the Video with a
job that says it was imported. The split lets an import package everything before its one
transaction and publish inside it; `video_discard` removes what was published when that
transaction fails.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from contentizer.errors import UnprocessableEntity
from contentizer.jobs.models import Job, JobStatus
from contentizer.media import ffmpeg, probe
from contentizer.models import Chapter
from contentizer.storage import delete_tree, publish_files
from previews.models import Video
from previews.videos import packaging
from previews.videos.services import KIND, chapter_state_hash

logger = logging.getLogger(__name__)

MAX_STREAMS = 64
MAX_EDGE = 7680  # pixels: 8K, beyond anything a render makes (its poster frame is decoded)
DURATION_TOLERANCE = 0.5  # seconds between the duration the export states and the one measured


@dataclass(frozen=True)
class Subtitles:
    vtt: Path
    srt: Path


@dataclass(frozen=True)
class PackagedVideo:
    """A finished MP4 and everything served beside it, in a local folder, keyed as they are published."""

    video_id: uuid.UUID
    files: tuple[tuple[str, Path], ...]
    languages: tuple[str, ...]
    duration: float
    width: int
    height: int
    size: int
    # each language's own picture ({language: {"mp4Key", "size", "duration", "tree", "starts"}}); empty
    # when one picture serves every language
    pictures: tuple[tuple[str, dict], ...] = ()

    @property
    def resolution(self) -> int:
        """What a Video's `height` holds: the short edge, whatever the aspect."""
        return min(self.width, self.height)


def _refuse(what: str, problem: str) -> UnprocessableEntity:
    return UnprocessableEntity(f"The render {what} cannot be used: {problem}.", code="invalid_render",
                               details={"render": what, "problem": problem})


def _check(mp4: Path, *, what: str, languages: list[str], duration: float) -> probe.MediaInfo:
    """One H.264 picture, one AAC track per language, lasting what the export says it does."""
    try:
        info = probe.probe(str(mp4), demuxer="mp4", max_streams=MAX_STREAMS)
    except probe.ProbeError as exc:
        raise _refuse(what, "it is not a readable MP4") from exc
    pictures = [s for s in info.streams if s.type == "video"]
    sounds = [s for s in info.streams if s.type == "audio"]
    if [s.codec for s in pictures] != ["h264"] or not pictures[0].width or not pictures[0].height:
        raise _refuse(what, "it must hold exactly one H.264 video stream")
    width, height = pictures[0].width, pictures[0].height
    if max(width, height) > MAX_EDGE:
        raise _refuse(what, f"its picture is {width}×{height}, more than {MAX_EDGE} pixels on a side")
    if [s.codec for s in sounds] != ["aac"] * len(languages):
        raise _refuse(what, f"it must hold one AAC audio track per language ({len(languages)})")
    if info.duration is None or abs(info.duration - duration) > DURATION_TOLERANCE:
        raise _refuse(what, f"it lasts {info.duration or 0:.2f}s, not the {duration:.2f}s its export states")
    return info


def video_package_pictures(*, renders: list[tuple[str, Path, str, float]], languages: list[str],
                           subtitles: dict[str, Subtitles], starts: dict[str, list[float]],
                           work_dir: Path) -> PackagedVideo:
    """A video whose languages each have their own picture: `renders` holds (language, MP4, its
    name in the export, duration) per language, the first language's first. Each is checked and
    cut into its HLS tree (the first at the root of `hls/`, another under `hls/<language>/`) with its
    own track and subtitles, as a render's package stage lays them out."""
    video_id, parts, pictures = uuid.uuid4(), [], {}
    for n, (lang, mp4, what, duration) in enumerate(renders):
        tree = packaging.tree(lang, languages)
        part = video_package_finished(mp4=mp4, what=what, languages=[lang], duration=duration,
                                      subtitles={lang: subtitles[lang]}, work_dir=work_dir / f"picture-{n}",
                                      video_id=video_id, tree=tree)
        parts.append(part)
        pictures[lang] = {"mp4Key": f"videos/{video_id}/video.mp4" if n == 0 else f"videos/{video_id}/video.{lang}.mp4",
                          "size": part.size, "duration": part.duration, "tree": tree, "starts": starts[lang],
                          # cues are timed to their own picture and not retimed on import: only its own
                          "subtitles": [lang]}
    first = parts[0]
    return PackagedVideo(video_id=video_id, files=tuple(f for part in parts for f in part.files),
                         languages=tuple(languages), duration=first.duration, width=first.width, height=first.height,
                         size=first.size, pictures=tuple(pictures.items()))


def video_package_finished(*, mp4: Path, what: str, languages: list[str], duration: float,
                           subtitles: dict[str, Subtitles], work_dir: Path, video_id: uuid.UUID | None = None,
                           tree: str = "") -> PackagedVideo:
    """Check `mp4` and cut what a render's package stage makes from it, in `work_dir` (as the HLS
    tree `tree` of video `video_id` when it is one language's picture of several)."""
    info = _check(mp4, what=what, languages=languages, duration=duration)
    picture = info.first("video")
    video_id, root = video_id or uuid.uuid4(), work_dir / "hls"
    root.mkdir(parents=True)
    try:
        ffmpeg.run(packaging.hls_args(mp4, languages, root), timeout=settings.VIDEO_TIMEOUT_SECONDS)
        start = packaging.segments_start(root)
        channels = probe.audio_channels(str(mp4), demuxer="mp4")
        poster = packaging.poster(mp4, duration=info.duration, out=work_dir / "poster.jpg")
    except (ffmpeg.FFmpegError, probe.ProbeError) as exc:
        logger.warning("an imported render could not be packaged", exc_info=True,
                       extra={"event": "import.render_refused", "render": what})
        raise _refuse(what, "it could not be cut into HLS segments") from exc
    for lang in languages:
        (root / f"subs_{lang}").mkdir()
        packaging.map_to_segments(Path(shutil.copyfile(subtitles[lang].vtt, root / f"subs_{lang}" / "subtitles.vtt")),
                                  start)
    # one picture for every language (what an export holds): one master with an audio rendition per language
    try:
        packaging.write_playlists(root, source=mp4, audio_languages=languages, subtitle_languages=languages,
                                  width=picture.width, height=picture.height, fps=None, duration=info.duration,
                                  channels=channels)
    except probe.ProbeError as exc:  # CODECS are read from the stream's own records
        raise _refuse(what, "its streams do not say their profile and level") from exc
    prefix, under = f"videos/{video_id}", f"{tree}/" if tree else ""
    files = [(f"{prefix}/subtitles/{lang}.{fmt}", getattr(subtitles[lang], fmt))
             for lang in languages for fmt in ("srt", "vtt")]
    files += [(f"{prefix}/hls/{under}{path.relative_to(root).as_posix()}", path)
              for path in sorted(p for p in root.rglob("*") if p.is_file())]
    files += [(f"{prefix}/video.{tree}.mp4", mp4)] if tree else [(f"{prefix}/video.mp4", mp4),
                                                                 (f"{prefix}/poster.jpg", poster)]
    return PackagedVideo(video_id=video_id, files=tuple(files), languages=tuple(languages), duration=info.duration,
                         width=picture.width, height=picture.height, size=mp4.stat().st_size)


def video_record_finished(*, chapter: Chapter, packaged: PackagedVideo, aspect: str, steps: list[dict],
                          origin: str) -> Video:
    """Publish a packaged video and record it as the chapter's current one, with a job that
    finished as it was created (a video's job is what says it is ready). Call it inside the
    transaction that made the chapter's steps, after them: the video matches them."""
    publish_files(list(packaged.files))
    now = timezone.now()
    project = chapter.project
    job = Job.objects.create(
        kind=KIND, owner=project.owner, project=project, status=JobStatus.SUCCEEDED, progress=100.0,
        stage="package", started_at=now, finished_at=now,
        payload={"projectId": project.pk, "chapterId": chapter.pk, "height": packaged.resolution, "aspect": aspect,
                 "languages": list(packaged.languages), "music": None, "origin": origin},
        result={"imported": True, "origin": origin})
    prefix = f"videos/{packaged.video_id}"
    return Video.objects.create(
        id=packaged.video_id, owner=project.owner, project=project, chapter=chapter, job=job, title=chapter.title,
        height=packaged.resolution, aspect=aspect, languages=list(packaged.languages), mp4_key=f"{prefix}/video.mp4",
        hls_prefix=f"{prefix}/hls", poster_key=f"{prefix}/poster.jpg", duration=packaged.duration,
        size=packaged.size, steps=steps, chapter_state=chapter_state_hash(chapter), finished_at=now,
        pictures=dict(packaged.pictures),
        renditions={"video": [{"width": packaged.width, "height": packaged.height}],
                    "audio": list(packaged.languages), "subtitles": list(packaged.languages)})


def video_discard(packaged: PackagedVideo) -> None:
    """What `video_record_finished` published, after the transaction that recorded it failed."""
    delete_tree(f"videos/{packaged.video_id}")
