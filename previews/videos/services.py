"""Asking for videos, reading them, and cleaning up after them."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from assets.models import Asset
from contentizer import logs, storage
from contentizer import selectors as core_selectors
from contentizer.errors import UnprocessableEntity
from contentizer.jobs import services as jobs
from contentizer.jobs.models import Job
from contentizer.jobs.runner import JobContext
from contentizer.jobs.stages import kept_keys, stable_hash
from contentizer.languages import language_name
from contentizer.media.compose import MUSIC_VOLUME
from contentizer.models import Chapter, Project
from contentizer.quota import quota_check
from contentizer.storage import delete_tree, walk
from previews import compile as compiler
from previews import tts
from previews.compile import Format
from previews.models import Segment, Video
from previews.render import PIECE_PREFIX

logger = logging.getLogger(__name__)

KIND = "video"
CACHE_PREFIX = "videos/cache"  # pieces, tracks, speech, loudness: content-keyed, shared by every video
STAGES = ("plan", "narrate", "captions", "render", "package")


def video_usage(owner) -> int:
    """The bytes of the owner's videos, for the storage quota (contentizer.quota): each video's
    first-language MP4 (`size`) and every other language's."""
    videos = Video.objects.filter(owner=owner)
    others = sum(picture.get("size") or 0 for row in videos.exclude(pictures={}).values("pictures", "languages")
                 for lang, picture in row["pictures"].items() if row["languages"] and lang != row["languages"][0])
    return (videos.aggregate(n=Sum("size"))["n"] or 0) + others


def _narrated_languages(chapter: Chapter) -> set[str]:
    return {lang for step in chapter.steps.all() for lang, text in step.narration.items() if text.strip()}


def _chapter_languages(chapter: Chapter) -> list[str]:
    """The narrated languages in the project's order (the first is the default track), then any
    narrated language the project does not list; the project's first language when none is."""
    found = _narrated_languages(chapter)
    order = chapter.project.languages or ["en"]
    return [lang for lang in order if lang in found] + sorted(found - set(order)) or order[:1]


def _check_languages(chapter: Chapter, languages: list[str] | None) -> list[str]:
    if not languages:
        return _chapter_languages(chapter)
    if len({lang.lower() for lang in languages}) != len(languages):
        raise UnprocessableEntity("Each language may be asked for once.", code="invalid_languages",
                                  details={"languages": languages})
    unsupported = [lang for lang in languages if not tts.language_supported(lang)]
    if unsupported:
        raise UnprocessableEntity(f"No voice can speak: {', '.join(unsupported)}.",
                                  code="unsupported_language", details={"languages": unsupported})
    narrated = _narrated_languages(chapter)
    if narrated and (silent := [lang for lang in languages if lang not in narrated]):
        raise UnprocessableEntity(f"No step is narrated in: {', '.join(silent)}.", code="invalid_languages",
                                  details={"languages": silent, "narrated": sorted(narrated)})
    return languages


def _check_gaps(chapter: Chapter, languages: list[str], missing: str) -> None:
    """A language lacking a narration another language has is refused (it would be silent there),
    naming each step, unless the request chose what to do with gaps (`missing="fallback"`). A
    missing caption is not refused: another language's caption stands in, as the one caption did
    for every language before captions had languages (the pages and the completeness resource
    list it, the video's steps mark it)."""
    gaps = {lang: [{**gap, "fields": ["narration"]} for gap in found if "narration" in gap["fields"]]
            for lang, found in core_selectors.chapter_gaps(chapter, languages).items()}
    gaps = {lang: found for lang, found in gaps.items() if found}
    if not gaps or missing == "fallback":
        return
    sentences = " ".join(core_selectors.gaps_sentence(language_name(lang), found) for lang, found in gaps.items())
    raise UnprocessableEntity(
        f"{sentences} Write the missing texts, or ask for \"missing\": \"fallback\" to use another "
        "language's text and voice there (the video marks those steps).",
        code="incomplete_language", details={"languages": gaps})


def video_request(
    *, owner, project: Project, chapter: Chapter, fmt: Format, languages: list[str] | None,
    music: dict | None, request_id: str = "", missing: str = "refuse",
) -> Video:
    quota_check(owner=owner)
    if not chapter.steps.exists():
        raise UnprocessableEntity("The chapter has no steps.", code="invalid_timeline",
                                  details={"chapterId": chapter.pk})
    languages = _check_languages(chapter, languages)
    _check_gaps(chapter, languages, missing)
    track = None
    if music:
        asset = Asset.objects.filter(project=project, pk=music["asset"], blob__kind="audio").first()
        if asset is None:
            raise UnprocessableEntity("music.asset is not an audio asset of this project.", code="invalid_timeline",
                                      details={"fields": {"music.asset": "not an audio asset of this project"}})
        track = {"sha256": asset.blob.sha256, "volume": music.get("volume", MUSIC_VOLUME)}
    for lang in languages:  # each language's picture is timed to its own narration: each must hold
        compiler.requested_timeline(
            what="video", project=project, steps=compiler.chapter_steps(chapter, language=lang), quality="final",
            fmt=fmt, languages=[lang], music={"asset": track["sha256"], "volume": track["volume"]} if track else None)
    payload = {
        "traceId": logs.log_context().get("requestId"), "projectId": project.pk, "chapterId": chapter.pk,
        "height": fmt.resolution, "aspect": fmt.aspect, "languages": languages, "music": track,
        "missing": missing,
    }
    with transaction.atomic():
        job = jobs.job_submit(kind=KIND, owner=owner, project=project, payload=payload, request_id=request_id).job
        video, _ = Video.objects.get_or_create(job=job, defaults={
            "owner": owner, "project": project, "chapter": chapter, "title": chapter.title,
            "height": fmt.resolution, "aspect": fmt.aspect, "languages": payload["languages"], "music": track or {},
        })
    return video


def chapter_state(chapter: Chapter) -> list[dict]:
    """Everything about a chapter's steps that shapes its video."""
    steps = chapter.steps.select_related("asset__blob").prefetch_related("recordings__asset__blob")
    return [
        {"id": s.id, "caption": s.caption, "narration": s.narration, "duration": s.duration,
         "transition": s.transition, "transitionDuration": s.transition_duration,
         "asset": s.asset.blob.sha256 if s.asset else None,
         # only when there is one: the state of a step without recordings hashes as it did before them
         **({"recordings": recorded} if (recorded := _recorded(s)) else {})}
        for s in steps.order_by("position")
    ]


def _recorded(step) -> dict[str, str]:
    """The step's narration recordings said in renders: {language: the recording's sha256}."""
    return {r.language: r.asset.blob.sha256 for r in step.recordings.all() if r.speaks}


def chapter_state_hash(chapter: Chapter) -> str:
    """What a video's `chapter_state` is compared with: equal means it shows the current steps."""
    return state_hash(chapter_state(chapter), chapter.project.languages)


def state_hash(state: list[dict], languages: list[str]) -> str:
    """The hash of a chapter state as videos record it. A caption only in the first language (or
    none) hashes as the plain string captions were before they had languages, so the caption
    migration leaves every video made before it up to date."""
    def caption(texts: Any) -> Any:
        if not isinstance(texts, dict) or not any(texts.values()):
            return texts or ""
        return texts[languages[0]] if set(texts) == {languages[0]} else texts

    return stable_hash([{**step, "caption": caption(step["caption"])} for step in state])


def current_video(chapter: Chapter) -> Video | None:
    """The chapter's newest finished video, if it still matches the chapter's steps."""
    video = (Video.objects.filter(chapter=chapter, job__status="succeeded", superseded_at__isnull=True)
             .exclude(mp4_key="").order_by("-finished_at").first())
    if video is None or video.chapter_state != chapter_state_hash(chapter):
        return None
    return video


def video_run(ctx: JobContext) -> dict[str, Any]:
    from previews.videos.stages import VideoPipeline

    return VideoPipeline(ctx).run()


def video_cleanup(job: Job) -> None:
    """A failed or cancelled attempt leaves no final artifact; finished stages' outputs stay for a resume."""
    video = Video.objects.filter(job=job).first()
    if video is None:
        return
    prefix = f"videos/{video.id}"
    keys = [f"{prefix}/video.mp4", f"{prefix}/poster.jpg", *(f"{prefix}/video.{lang}.mp4" for lang in video.languages)]
    for key in keys:
        default_storage.delete(key)
    delete_tree(f"{prefix}/hls")
    delete_tree(f"{prefix}/subtitles")
    kept = kept_keys(job)
    for key in list(walk(f"{prefix}/work")):
        if key not in kept:
            default_storage.delete(key)


def videos_expire(*, now=None) -> int:
    """Delete videos superseded by a newer render for longer than VIDEO_SUPERSEDED_TTL_SECONDS,
    pieces no render has used for as long, the files of videos whose chapter or project was
    deleted, and whatever in the cache folders nothing vouches for (`_sweep_cache`)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.VIDEO_SUPERSEDED_TTL_SECONDS)
    removed = 0
    for video in Video.objects.filter(superseded_at__lt=cutoff).exclude(mp4_key=""):
        removed += delete_tree(f"videos/{video.id}")
        Video.objects.filter(pk=video.pk).update(mp4_key="", hls_prefix="", poster_key="", size=0)
    for segment in Segment.objects.filter(used_at__lt=cutoff):
        # Conditional: a render that used the piece since the query above keeps it.
        if Segment.objects.filter(pk=segment.pk, used_at__lt=cutoff).delete()[0]:
            storage.remove(segment.storage_key)
            removed += 1
    try:
        folders = default_storage.listdir("videos")[0]
    except (FileNotFoundError, NotADirectoryError):
        folders = []
    known = {str(pk) for pk in Video.objects.values_list("id", flat=True)}
    for folder in folders:  # videos whose chapter or project was deleted
        if folder != "cache" and folder not in known:
            removed += delete_tree(f"videos/{folder}")
    return removed + _sweep_cache(now=now, unused_before=cutoff)


def _sweep_cache(*, now, unused_before) -> int:
    """Every object under videos/cache, whichever code wrote it, once untouched for
    STORAGE_INCOMING_GRACE_SECONDS (a writer may be between storing and recording it): one the
    ledger does not vouch for (no record, or a stored size other than the recorded one), a piece
    no Segment row names, and, outside the pieces (whose rows say when a render last used
    them), one older than the TTL. Then the ledger forgets cached objects that are gone."""
    settled = now - timedelta(seconds=settings.STORAGE_INCOMING_GRACE_SECONDS)
    pieces = set(Segment.objects.values_list("storage_key", flat=True))
    present, removed = set(), 0
    for key in list(walk(CACHE_PREFIX)):
        present.add(key)
        try:
            modified = default_storage.get_modified_time(key)
        except OSError:  # gone meanwhile
            continue
        if modified >= settled:
            continue
        wanted = key in pieces if key.startswith(f"{PIECE_PREFIX}/") else modified >= unused_before
        if wanted and storage.trusted(key):
            continue
        storage.remove(key)
        Segment.objects.filter(storage_key=key).delete()
        removed += 1
    storage.forget_missing(CACHE_PREFIX, present=present, recorded_before=settled)
    return removed
