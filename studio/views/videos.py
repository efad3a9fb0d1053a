"""Watching a video (its owner's page and the public page of a share link) and sharing it."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from contentizer import brand
from contentizer.errors import ApplicationError
from contentizer.http.csp import SHARE_EMBED, SHARE_PAGE, csp_override
from contentizer.languages import language_name
from previews import selectors, shares
from previews.models import Share, Video
from studio.selectors import LinkRow

logger = logging.getLogger(__name__)


def _caption(step: dict[str, Any], language: str) -> str:
    """A step's caption in a video's step list: one text per language, or one string (videos made
    before captions had languages)."""
    caption = step.get("caption") or ""
    return caption if isinstance(caption, str) else caption.get(language, "")


def _steps(video: Video) -> list[dict[str, Any]]:
    first = video.languages[0] if video.languages else ""
    return [{"start": step["start"], "number": i + 1,
             "label": _caption(step, first) or (step.get("narration") or {}).get(first, "") or f"Step {i + 1}",
             "note": "; ".join(f"{language_name(lang)} uses another language’s {' and '.join(fields)}"
                               for lang, fields in (step.get("fallback") or {}).items())}
            for i, step in enumerate(video.steps or [])]


def _picture(video: Video, base: str, lang: str, *, hls: str, mp4: str, subtitles: str) -> dict[str, Any]:
    """One language's picture for the player: its HLS master, its MP4, where its steps start, and
    every language's WebVTT timed to it (for a browser that plays the MP4)."""
    picture = video.picture(lang) or {}
    query = "" if lang == video.languages[0] or picture.get("shared") else f"?language={lang}"
    tree = f"{picture['tree']}/" if picture.get("tree") else ""
    timed = picture.get("subtitles") or video.languages  # an imported picture has only its own language's
    vtt = {other: base + (subtitles.format(lang=other) if picture.get("shared")
                          else f"{hls}{tree}subs_{other}/subtitles.vtt")
           for other in video.languages if other in timed}
    labels = [_caption(step, lang) if "captions" not in step else step["captions"].get(lang, "")
              for step in video.steps or []]
    labels = [label or (step.get("narration") or {}).get(lang, "") or f"Step {i + 1}"
              for i, (label, step) in enumerate(zip(labels, video.steps or [], strict=True))]
    return {"lang": lang, "name": language_name(lang), "hls": base + hls + selectors.picture_master(video, lang),
            "mp4": base + mp4 + query, "starts": picture.get("starts", []), "vtt": vtt, "labels": labels,
            "duration": picture.get("duration") or video.duration}


def player(video: Video, base: str, *, hls: str, mp4: str, poster: str, subtitles: str) -> dict[str, Any]:
    """What templates/studio/_player.html draws: URLs under `base` (`hls` the HLS folder), languages
    in the video's order; each language's own picture in `pictures` for the script to switch to."""
    pictures = [_picture(video, base, lang, hls=hls, mp4=mp4, subtitles=subtitles) for lang in video.languages]
    first = pictures[0] if pictures else {"hls": base + hls + "master.m3u8", "mp4": base + mp4, "vtt": {}}
    return {
        "hls": first["hls"], "mp4": first["mp4"], "poster": base + poster, "steps": _steps(video),
        "tracks": [{"lang": lang, "name": language_name(lang), "vtt": first["vtt"].get(lang)}
                   for lang in video.languages],
        "pictures": json.dumps(pictures),
        "title": video.title or "Video",  # as made: a later rename of the chapter stays out of shared pages
        "caption": subtitle_style(brand.parse(video.project.brand).caption),
    }


def subtitle_style(style: brand.CaptionStyle) -> dict[str, Any]:
    """The project's caption style as the page draws subtitles: the same colours, box and place as
    the captions burned into the picture (the default look: the page's own, as before brands)."""
    if style.is_default:
        return {"position": style.position}
    red, green, blue = (int(style.background[i: i + 2], 16) for i in (1, 3, 5))
    return {"position": style.position, "color": style.color, "scale": style.scale,
            "background": f"rgba({red}, {green}, {blue}, {style.box_opacity:g})"}


def _downloads(video: Video) -> list[dict[str, Any]]:
    """Each language's own MP4; one, unnamed, when one picture serves every language."""
    base = f"/api/videos/{video.id}/download"
    if not video.pictures or len(video.languages) < 2:
        return [{"name": "", "url": base, "size": video.size}]
    return [{"name": language_name(lang), "size": (video.picture(lang) or {}).get("size"),
             "url": base if i == 0 else f"{base}?language={lang}"} for i, lang in enumerate(video.languages)]


@login_required
def video_page(request: HttpRequest, video_id) -> HttpResponse:
    video = selectors.video_get(user=request.user, video_id=video_id)
    ready = selectors.video_ready(video)
    links = [LinkRow(share=share, path=shares.share_path(share), active=shares.share_active(share))
             for share in Share.objects.filter(video=video).select_related("video").order_by("-created_at")[:50]]
    return render(request, "studio/video.html", {
        "video": video, "ready": ready, "up_to_date": ready and selectors.video_up_to_date(video),
        "variants": [other for other in selectors.chapter_variants(video.chapter) if other.pk != video.pk]
        if video.chapter_id else [],
        "player": player(video, f"/api/videos/{video.id}/", hls="hls/", mp4="stream", poster="poster",
                         subtitles="subtitles/{lang}.vtt") if ready else None,
        "downloads": _downloads(video) if ready else [],
        "links": links, "lifetimes": [(name, label) for name, (label, _) in shares.LIFETIMES.items()],
        "default_lifetime": shares.DEFAULT_LIFETIME,
    })


@login_required
@require_POST
def share_create(request: HttpRequest, video_id) -> HttpResponse:
    video = selectors.video_get(user=request.user, video_id=video_id)
    lifetime = request.POST.get("expires_in", "")
    if lifetime not in shares.LIFETIMES:
        messages.error(request, f"Choose how long the link works: {', '.join(shares.LIFETIMES)}.")
        return redirect("video-page", video_id=video.id)
    try:
        shares.share_create(video=video, lifetime=lifetime)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("video-page", video_id=video.id)
    label, seconds = shares.LIFETIMES[lifetime]
    messages.success(request, f"Share link created; it works for {label}." if seconds else
                     "Share link created; it works until you revoke it.")
    return redirect("video-page", video_id=video.id)


@login_required
@require_POST
def share_revoke(request: HttpRequest, video_id, share_id) -> HttpResponse:
    video = selectors.video_get(user=request.user, video_id=video_id)
    shares.share_revoke(share=get_object_or_404(Share, pk=share_id, video=video))
    messages.success(request, "The link was revoked; it no longer works.")
    if request.POST.get("return_to") == "chapter" and video.chapter_id:
        return redirect(f"{reverse('chapter-page', args=[video.chapter_id])}#share-links-heading")
    return redirect("video-page", video_id=video.id)


def _shared(request: HttpRequest, token: str, template: str) -> HttpResponse:
    try:
        share = shares.share_resolve(token)
    except shares.ShareNotFound:
        response = render(request, "studio/share_gone.html", status=404)
    else:
        video = share.playing  # the newest version of what the link was made for
        response = render(request, template, {
            "video": video, "share": share, "plays": f"/s/{token}/plays",
            "player": player(video, f"/s/{token}/", hls="hls/", mp4="video.mp4", poster="poster.jpg",
                             subtitles="subtitles/{lang}.vtt"),
        })
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the link is the key: never hand it to another site
    return response


@require_GET
@csp_override(SHARE_PAGE)
def shared_page(request: HttpRequest, token: str) -> HttpResponse:
    """The public watch page of a share link: works logged out, grants this one chapter variant only."""
    return _shared(request, token, "studio/shared.html")


@require_GET
@xframe_options_exempt
@csp_override(SHARE_EMBED)
def shared_embed(request: HttpRequest, token: str) -> HttpResponse:
    """The share link's player alone, for an iframe on another site (the only page that may be framed)."""
    return _shared(request, token, "studio/shared_embed.html")
