"""Reads the studio pages need beyond the apps' own selectors: what goes with a delete, which
steps use an asset, each chapter's video and jobs, each language's voice. Always from objects
already owner-scoped."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q

from assets.models import Asset
from contentizer import selectors as core_selectors
from contentizer.jobs.models import FINISHED, Job
from contentizer.languages import language_name
from contentizer.models import Chapter, Project, Step
from previews import selectors as previews
from previews import services as preview_services
from previews import tts
from previews.api.voice_views import project_voice_languages, project_voice_summary
from previews.models import Share, Video
from previews.shares import active_shares
from previews.videos import services as videos

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Footprint:
    """What goes when a project or chapter is deleted, as the confirmation page says it."""

    chapters: int
    steps: int
    assets: int
    videos: int
    shares: int


def project_footprint(project: Project) -> Footprint:
    return Footprint(
        chapters=project.chapters.count(), steps=Step.objects.filter(chapter__project=project).count(),
        assets=project.assets.count(), videos=Video.objects.filter(project=project).count(),
        shares=active_shares(Share.objects.filter(video__project=project)).count(),
    )


def chapter_footprint(chapter: Chapter) -> Footprint:
    return Footprint(
        chapters=1, steps=chapter.steps.count(), assets=0, videos=Video.objects.filter(chapter=chapter).count(),
        shares=active_shares(Share.objects.filter(video__chapter=chapter)).count(),
    )


@dataclass(frozen=True)
class ChapterRow:
    chapter: Chapter
    steps: int
    video: Video | None
    up_to_date: bool
    job: Job | None  # the newest video job, shown live while it runs
    variants: list[tuple[Video, bool]]  # the current video of each shape and resolution, and whether it is up to date


def project_chapters(project: Project) -> list[ChapterRow]:
    rows = []
    for chapter in project.chapters.annotate(step_total=Count("steps")).order_by("position"):
        video = previews.chapter_latest_video(chapter)
        job = previews.chapter_latest_job(chapter, kind=videos.KIND)
        rows.append(ChapterRow(
            chapter=chapter, steps=chapter.step_total, video=video,
            up_to_date=bool(video and previews.video_up_to_date(video)),
            job=job if job and job.status not in FINISHED or (job and video is None) else None,
            variants=_variants(chapter),
        ))
    return rows


def latest_preview(chapter: Chapter) -> Job | None:
    return previews.chapter_latest_job(chapter, kind=preview_services.KIND, dry_run=False)


def asset_usage(project: Project) -> dict[int, list[Step]]:
    """For each asset of the project, the steps that use it (with their chapter), in order."""
    usage: dict[int, list[Step]] = defaultdict(list)
    steps = Step.objects.filter(chapter__project=project, asset__isnull=False).select_related("chapter")
    for step in steps.order_by("chapter__position", "position"):
        usage[step.asset_id].append(step)
    return usage


def project_assets(project: Project, *, kind: str | None = None):
    assets = Asset.objects.filter(project=project).select_related("blob").order_by("-created_at", "-id")
    return assets.filter(blob__kind=kind) if kind else assets


def active_jobs(project: Project) -> list[Job]:
    return list(Job.objects.filter(project=project).filter(~Q(status__in=FINISHED)).order_by("-created_at")[:20])


def _variants(chapter: Chapter) -> list[tuple[Video, bool]]:
    return [(video, previews.video_up_to_date(video)) for video in previews.chapter_variants(chapter)]


@dataclass(frozen=True)
class LinkRow:
    share: Share
    path: str
    active: bool


def chapter_links(chapter: Chapter) -> list[LinkRow]:
    """Every share link made from a video of the chapter, newest first, with whether it still works."""
    from previews import shares

    found = Share.objects.filter(video__chapter=chapter).select_related("video").order_by("-created_at")[:100]
    return [LinkRow(share=s, path=shares.share_path(s), active=shares.share_active(s)) for s in found]


def step_lengths(chapter: Chapter, steps: list[Step]) -> dict[int, list[tuple[str, float]]]:
    """How long each step really lasts, per language, in the chapter's newest video when it still matches
    the steps (narration lengthens a step beyond its duration): {step id: [(language, seconds)]}."""
    video = previews.chapter_latest_video(chapter)
    if video is None or not previews.video_up_to_date(video) or len(video.steps or []) != len(steps):
        return {}
    lengths: dict[int, list[tuple[str, float]]] = {}
    for lang in video.languages:
        picture = video.picture(lang) or {}
        starts, total = picture.get("starts") or [], picture.get("duration") or video.duration or 0
        if len(starts) != len(steps):
            continue
        for i, step in enumerate(steps):
            end = starts[i + 1] if i + 1 < len(starts) else total
            lengths.setdefault(step.pk, []).append((lang, round(end - starts[i], 1)))
    return lengths


def chapter_video_state(chapter: Chapter) -> dict:
    """The chapter's current videos, one of each shape and resolution (and whether each matches the
    steps), and its newest video job."""
    video = previews.chapter_latest_video(chapter)
    return {"video": video, "video_up_to_date": bool(video and previews.video_up_to_date(video)),
            "variants": _variants(chapter), "video_job": previews.chapter_latest_job(chapter, kind=videos.KIND)}


def tus_config(project: Project) -> dict:
    """What static/js/uploads.js needs to upload into this project with tus."""
    return {"endpoint": "/api/uploads/", "projectId": project.pk, "chunkSize": settings.TUS_CHUNK_BYTES}


@dataclass(frozen=True)
class VoiceRow:
    """One language of a project on its Voices panel: the choice, what speaks now, what can be chosen."""

    language: str
    name: str
    choice: str  # the chosen voice id; "" = the best available one
    rate: float
    speaking: tts.Voice | None  # the voice that narrates now (None: none can)
    fallback: str  # why the chosen voice is not the one speaking
    usable: list[tts.Voice]  # best first, as GET /api/v1/voices?language= lists them
    unusable: list[tts.Voice]  # the same language's voices whose files are missing or broken
    sample: str  # a sentence to try the voice with: the project's own narration where there is one

    @property
    def engine(self) -> str:
        """The speaking voice's engine as pages name it ("Piper", "eSpeak NG")."""
        return tts.ENGINE_LABELS.get(self.speaking.engine, self.speaking.engine) if self.speaking else ""

    @property
    def needs_neural(self) -> bool:
        """Spoken, but only by voices that are not neural (eSpeak NG): an operator should add one."""
        return self.speaking is not None and not any(voice.neural for voice in self.usable)


def voice_languages(project: Project) -> list[str]:
    """The project's languages in order, then any other language it narrates or has a voice for."""
    return project_voice_languages(project)


def _sample_sentence(project: Project, language: str) -> str:
    for narration in Step.objects.filter(chapter__project=project).order_by(
            "chapter__position", "position").values_list("narration", flat=True):
        text = (narration or {}).get(language)
        if isinstance(text, str) and text.strip():
            return text.strip()[:settings.TTS_SAMPLE_MAX_CHARS]
    return project.title[:settings.TTS_SAMPLE_MAX_CHARS]


def voice_rows(project: Project) -> list[VoiceRow]:
    rows = []
    for language in voice_languages(project):
        state = project_voice_summary(project, language)
        rows.append(VoiceRow(
            language=language, name=language_name(language), choice=state["voice"] or "", rate=state["rate"],
            speaking=tts.voice_get(state["speaking"]) if state["speaking"] else None, fallback=state["fallback"],
            usable=tts.voice_candidates(language),
            unusable=[v for v in tts.voices() if not v.available and tts.voice_matches(v, language)],
            sample=_sample_sentence(project, language),
        ))
    return rows


def language_gaps(chapter: Chapter) -> list[dict[str, Any]]:
    """The chapter's gaps for the pages: per language that has any, its name and each step lacking
    a text ("Step 2: narration"), with the step's anchor on the chapter page."""
    return [{"code": lang, "name": language_name(lang), "steps": [
                {"number": gap["number"], "fields": " and ".join(gap["fields"]), "anchor": f"step-{gap['step']}"}
                for gap in found]}
            for lang, found in core_selectors.chapter_gaps(chapter).items() if found]
