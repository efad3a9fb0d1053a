"""Compiling a chapter (or a client's ad-hoc steps) into a timeline.

Steps become scenes: an image or video asset is the picture; an audio asset is the scene's
narration over a title card; a step without an asset is a title card with its caption.
Assets are named by id or sha256 and must belong to the project; anything else is reported
with the step it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from assets.hashing import is_sha256
from assets.models import Asset
from contentizer import brand as brand_
from contentizer import transitions
from contentizer.errors import UnprocessableEntity
from contentizer.media.compose import MUSIC_VOLUME
from contentizer.models import Chapter, Project
from contentizer.selectors import stand_in
from previews.timeline import NARRATION_PAUSE, VERSION, Timeline, TimelineError, fitted

DEFAULT_CARD = brand_.CARD_COLOR
# The labels of the brand's cards among a timeline's step labels: scenes no step made
INTRO, OUTRO = "intro card", "outro card"
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}  # the short edge


@dataclass(frozen=True)
class StepSpec:
    """What one scene needs from a step, whether it came from the database or a request."""

    label: str  # how errors name the step: "step 3 (id 17)"
    caption: str
    duration: float
    transition: str
    transition_duration: float
    asset: str | int | None = None
    narration_asset: str | int | None = None
    spoken_in: tuple[str, ...] = ()  # the languages its narration text is written in
    recorded: bool = False  # narration_asset is the author's recording of it: the step lasts as long as it
    said: str = ""  # a preview's narration text in its language, said by the project's voice (none when recorded)
    effects: dict[str, Any] | None = None  # contentizer.effects' JSON form; on a picture only

    def spoken(self, languages: list[str] | None) -> bool:
        """Whether the step is narrated in one of `languages` (any, when none are named): its
        narration then lengthens it, so its duration is only a minimum."""
        if self.recorded:
            return True
        return bool(set(self.spoken_in) & set(languages)) if languages else bool(self.spoken_in)


@dataclass(frozen=True)
class Format:
    """What a preview or video is asked to look like: an aspect ratio and the short edge."""

    aspect: str = "16:9"
    resolution: int = 480

    def size(self) -> tuple[int, int]:
        across, down = ASPECTS[self.aspect]
        long_edge = round(self.resolution * max(across, down) / min(across, down) / 2) * 2
        return (long_edge, self.resolution) if across >= down else (self.resolution, long_edge)


def output_for(fmt: Format, *, quality: str = "preview") -> dict[str, Any]:
    width, height = fmt.size()
    return {"width": width, "height": height, "fps": settings.PREVIEW_FPS, "quality": quality}


class AssetResolver:
    """Looks assets up by id or sha256 within one project, remembering what it found."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.missing: dict[str, str] = {}

    def resolve(self, ref: str | int | None, where: str) -> Asset | None:
        if ref is None or ref == "":
            return None
        qs = Asset.objects.filter(project=self.project).select_related("blob")
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            asset = qs.filter(pk=int(ref)).first()
        elif isinstance(ref, str) and is_sha256(ref):
            asset = qs.filter(blob__sha256=ref).first()
        else:
            asset = None
        if asset is None:
            self.missing[where] = f"asset {ref!r} is not an asset of project {self.project.pk}"
        return asset


def chapter_steps(chapter: Chapter, language: str | None = None, *, recorded: bool = False,
                  only: int | None = None) -> list[StepSpec]:
    """The chapter's steps with their captions in `language` (default: the project's first); a
    caption `language` lacks is another language's (contentizer.selectors.stand_in), as the one
    caption of every language was before captions had languages: the pages and the completeness
    resource report it, and the video's steps mark it. With `recorded` (a preview, which has no
    synthetic speech), a step the author recorded in `language` plays that recording as its
    narration and lasts as long as it (videos say recordings in their narrate stage instead). `only`: that
    step alone."""
    order = chapter.project.languages
    language = language or order[0]

    def caption(step) -> str:
        other = stand_in(step.caption, language, order) if isinstance(step.caption, dict) else None
        return step.caption_in(other or language)

    def recording(step) -> int | None:
        said = [r for r in step.recordings.all() if r.language == language and r.speaks] if recorded else []
        return said[0].asset_id if said else None

    return [
        StepSpec(
            label=f"step {i + 1} (id {step.id})", caption=caption(step), duration=step.duration,
            transition=step.transition, transition_duration=step.transition_duration,
            asset=step.asset_id, spoken_in=tuple(sorted(lang for lang, text in step.narration.items() if text.strip())),
            narration_asset=recording(step), recorded=recording(step) is not None,
            said="" if not recorded or recording(step) is not None else (step.narration.get(language) or "").strip(),
            effects=step.effects or None,
        )
        for i, step in enumerate(chapter.steps.prefetch_related("recordings").order_by("position"))
        if only is None or step.pk == only  # one step alone (a preview of it): named as it is in the chapter
    ]


def request_steps(steps: list[dict[str, Any]], languages: list[str]) -> list[StepSpec]:
    """A preview request's own steps; a caption given per language shows the first language's text
    (or another's where it has none)."""
    def caption(given: str | dict[str, str]) -> str:
        if isinstance(given, str):
            return given
        return given.get(stand_in(given, languages[0], languages) or languages[0], "")

    return [
        StepSpec(
            label=f"step {i + 1}", caption=caption(s.get("caption", "")), duration=s["duration"],
            transition=s.get("transition", transitions.DEFAULT),
            transition_duration=s.get("transitionDuration", transitions.DEFAULT_SECONDS),
            asset=s.get("asset"), narration_asset=s.get("narration"), effects=s.get("effects") or None,
        )
        for i, s in enumerate(steps)
    ]


def _scene(spec: StepSpec, resolver: AssetResolver, last: bool, colors: brand_.Colors) -> dict[str, Any]:
    asset = resolver.resolve(spec.asset, f"{spec.label}.asset")
    narration = resolver.resolve(spec.narration_asset, f"{spec.label}.narration")
    kind = asset.blob.kind if asset else None
    scene: dict[str, Any] = {"duration": spec.duration, "caption": spec.caption}
    if kind in ("image", "video"):
        scene.update(type=kind, asset=asset.blob.sha256)
        if spec.effects:  # a step without a picture keeps its effects for when it gets one
            scene["effects"] = spec.effects
    else:
        scene.update(type="title", color=colors.primary, title="" if kind == "audio" else spec.caption,
                     **_text_color(colors))
        if kind != "audio":
            scene["caption"] = ""  # the caption is the card's title already
    if kind == "audio":
        narration = narration or asset
    if kind == "subtitle":
        resolver.missing[f"{spec.label}.asset"] = "a subtitle file cannot be a scene's picture"
    if narration is not None:
        if narration.blob.kind != "audio" and not spec.recorded:
            resolver.missing[f"{spec.label}.narration"] = f"asset {narration.pk} is not audio"
        else:
            scene["narration"] = narration.blob.sha256
        if spec.recorded and narration.blob.duration:  # the one timing rule, as Timeline.narrated applies it
            scene["duration"] = max(spec.duration, round(narration.blob.duration + NARRATION_PAUSE, 3))
    if not last and not transitions.is_cut(spec.transition, spec.transition_duration):
        scene["transition"] = {"type": transitions.canonical(spec.transition), "duration": spec.transition_duration}
    return scene


def _text_color(colors: brand_.Colors) -> dict[str, str]:
    return {"textColor": colors.text} if colors.text != brand_.TEXT_COLOR else {}


def _card(card: brand_.Card, colors: brand_.Colors) -> dict[str, Any]:
    scene = {"type": "title", "duration": card.seconds, "color": colors.primary, "title": card.title,
             **_text_color(colors)}
    return {**scene, "subtitle": card.subtitle} if card.subtitle else scene


def _style(brand: brand_.Brand, resolver: AssetResolver) -> dict[str, Any]:
    """The timeline's `style`: the brand's caption style, and its logo by the picture's sha256."""
    style: dict[str, Any] = {"caption": brand.caption.to_json()} if not brand.caption.is_default else {}
    if brand.logo is not None:
        asset = resolver.resolve(brand.logo.asset, "brand.logo.asset")
        if asset is not None and asset.blob.kind != "image":
            resolver.missing["brand.logo.asset"] = f"asset {asset.pk} is not a picture, so it cannot be the logo"
        elif asset is not None:
            style["logo"] = {**brand.logo.to_json(), "asset": asset.blob.sha256}
    return style


def branded(values: list, labels: list[str], blank: Any) -> list:
    """Per-step values placed against a timeline's scenes: `blank` for the brand's cards."""
    steps = iter(values)
    return [blank if label in (INTRO, OUTRO) else next(steps) for label in labels]


def unbranded(values: list, labels: list[str]) -> list:
    """Per-scene values of a timeline without its brand's cards: one per step."""
    return [value for value, label in zip(values, labels, strict=True) if label not in (INTRO, OUTRO)]


def _lengthen_spoken(scenes: list[dict[str, Any]], spoken: list[bool]) -> None:
    """A narrated step lasts as long as its narration needs (`Timeline.narrated`), and always
    outlasts its transitions: its duration is checked as narration will make it, not as typed."""
    def transition(i: int) -> float:
        return scenes[i].get("transition", {}).get("duration", 0.0) if 0 <= i < len(scenes) - 1 else 0.0

    for i, scene in enumerate(scenes):
        if spoken[i] and isinstance(scene["duration"], int | float):
            scene["duration"] = fitted(scene["duration"], transition(i - 1), transition(i))


def _named(exc: TimelineError, labels: list[str]) -> TimelineError:
    """The same problems, their message naming the step each comes from (and, for a step too
    short for its transitions, that no narration lengthens it); the field paths stay."""
    parts = []
    for path, problem in exc.problems.items():
        match = re.match(r"scenes\[(\d+)\](?:\.(\w+))?", path)
        if match is None or int(match[1]) >= len(labels):
            parts.append(f"{path}: {problem}")
            continue
        label = labels[int(match[1])]
        why = " and it has no narration to lengthen it" if match[2] == "duration" and "transitions" in problem else ""
        parts.append(f"{label}{'.' + match[2] if match[2] else ''}: {problem}{why}")
    return TimelineError(exc.problems, message="; ".join(parts))


def compile_timeline(
    *, project: Project, steps: list[StepSpec], fmt: Format, quality: str = "preview",
    music: dict[str, Any] | None = None, declared_assets: list[str | int] | None = None,
    languages: list[str] | None = None, cards: bool = True,
) -> tuple[Timeline, list[str]]:
    """The validated timeline and the step labels of its scenes (for error messages), in the
    project's brand: its caption style and logo, its colours on title cards and (with `cards`; a
    step previewed alone has none) its intro and outro cards, labelled INTRO and OUTRO."""
    if not steps:
        raise TimelineError({"steps": "the chapter has no steps to render"})
    if len(steps) > settings.PREVIEW_MAX_SCENES:
        raise TimelineError({"steps": f"at most {settings.PREVIEW_MAX_SCENES} steps per preview"})
    resolver = AssetResolver(project)
    for i, ref in enumerate(declared_assets or []):
        resolver.resolve(ref, f"assets[{i}]")
    brand = brand_.parse(project.brand)  # stored through the API's checks: a failure here is a bug, not input
    scenes = [_scene(spec, resolver, last=i == len(steps) - 1, colors=brand.colors) for i, spec in enumerate(steps)]
    _lengthen_spoken(scenes, [spec.spoken(languages) for spec in steps])
    labels = [spec.label for spec in steps]
    if cards and brand.intro:
        scenes, labels = [_card(brand.intro, brand.colors), *scenes], [INTRO, *labels]
    if cards and brand.outro:
        scenes, labels = [*scenes, _card(brand.outro, brand.colors)], [*labels, OUTRO]
    data: dict[str, Any] = {"version": VERSION, "output": output_for(fmt, quality=quality), "scenes": scenes}
    if style := _style(brand, resolver):
        data["style"] = style
    audio: dict[str, Any] = {"languages": languages} if languages else {}
    if music:
        track = resolver.resolve(music.get("asset"), "audio.music.asset")
        if track is not None and track.blob.kind != "audio":
            resolver.missing["audio.music.asset"] = f"asset {track.pk} is not audio"
        elif track is not None:
            audio["music"] = {"asset": track.blob.sha256, "volume": music.get("volume", MUSIC_VOLUME)}
    if audio:
        data["audio"] = audio
    if resolver.missing:
        raise TimelineError(resolver.missing)
    try:
        timeline = Timeline.parse(data)
    except TimelineError as exc:
        raise _named(exc, labels) from None
    if timeline.duration > settings.PREVIEW_MAX_SECONDS:
        raise TimelineError({"steps": f"{timeline.duration:.0f}s is longer than {settings.PREVIEW_MAX_SECONDS:.0f}s"})
    return timeline, labels


def requested_timeline(*, what: str, **compile_args: Any) -> tuple[Timeline, list[str]]:
    """`compile_timeline` when a client asks for a render: a chapter that cannot become a timeline
    is the client's 422 naming every problem, not a failed job later."""
    try:
        return compile_timeline(**compile_args)
    except TimelineError as exc:
        raise UnprocessableEntity(f"The {what} cannot be rendered: {exc}", code="invalid_timeline",
                                  details={"fields": exc.problems}) from exc
