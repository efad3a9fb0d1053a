"""Export zips built by hand for import tests: a container.json and the bytes of every file it lists."""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

from tests import media

SUBTITLES = {"subtitles/01-intro/en.srt": media.SRT.encode(), "subtitles/01-intro/en.vtt": media.VTT.encode()}
RENDER = "renders/01-intro.mp4"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def asset_record(data: bytes, ext: str, kind: str, mime: str, name: str) -> dict[str, Any]:
    return {"path": f"assets/{sha(data)}.{ext}", "size": len(data), "sha256": sha(data), "kind": kind,
            "mime": mime, "originalName": name, "usedBy": []}


def plain_record(path: str, data: bytes, kind: str) -> dict[str, Any]:
    return {"path": path, "size": len(data), "sha256": sha(data), "kind": kind}


def step(caption: str, asset: str | None, **fields: Any) -> dict[str, Any]:
    return {"caption": caption, "narration": {"en": f"{caption}."}, "duration": 4.0, "transition": "cut",
            "transitionDuration": 0.5, "asset": asset, **fields}


class Export:
    """A container.json and the bytes of every file it lists, written as a zip on demand."""

    def __init__(self, assets: list[tuple[bytes, str, str, str, str]], chapters: list[dict[str, Any]]) -> None:
        self.files: dict[str, bytes] = {}
        records = []
        for data, *meta in assets:
            records.append(asset_record(data, *meta))
            self.files[records[-1]["path"]] = data
        for path, data in {**SUBTITLES, RENDER: b"\x00\x00\x00\x18ftypmp42 not really a video"}.items():
            records.append(plain_record(path, data, "render" if path == RENDER else "subtitle"))
            self.files[path] = data
        self.container: dict[str, Any] = {
            "format": "contentizer-export", "version": 1, "createdAt": "2026-11-22T01:40:00+00:00",
            "project": {"title": "Getting started", "description": "A tour."}, "chapters": chapters,
            "files": records,
        }

    def path(self, index: int) -> str:
        return self.container["files"][index]["path"]

    def write(self, target: Path, *, container: bytes | None = None, omit_container: bool = False,
              extra: list[tuple[Any, bytes]] = ()) -> Path:
        with warnings.catch_warnings(), zipfile.ZipFile(target, "w") as zf:
            warnings.simplefilter("ignore", UserWarning)  # duplicate names, on purpose
            if not omit_container:
                zf.writestr("container.json", container if container is not None else json.dumps(self.container),
                            compress_type=zipfile.ZIP_DEFLATED)
            for path, data in self.files.items():
                deflate = path.startswith("subtitles/")
                zf.writestr(path, data, compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)
            for name, data in extra:
                zf.writestr(name, data)
        return target


def sample_images() -> list[tuple[bytes, str, str, str, str]]:
    return [(media.image_bytes("PNG", (320, 180), (20, 120, 200)), "png", "image", "image/png", "save.png"),
            (media.image_bytes("JPEG", (320, 180), (200, 40, 40)), "jpg", "image", "image/jpeg", "menu.jpg")]


def sample_export() -> Export:
    pictures = sample_images()
    paths = [asset_record(data, *meta)["path"] for data, *meta in pictures]
    chapter = {"title": "Intro", "slug": "01-intro", "steps": [step("Click Save", paths[0]), step("Open", paths[1])],
               "subtitles": {"en": {"srt": "subtitles/01-intro/en.srt", "vtt": "subtitles/01-intro/en.vtt"}},
               "render": RENDER}
    return Export(pictures, [chapter])



def as_version_2(export: Export, *, languages: list[str] | None = None, voices: list[dict] | None = None,
                 lexicon: list[dict] | None = None) -> Export:
    """The same export written as version 2: captions per language, no machine translation, and
    the render (version 1's is not a real video) left out unless a test describes one."""
    languages = languages or ["en"]
    export.container["version"] = 2
    export.container["project"].update(languages=languages, voices=voices or [], lexicon=lexicon or [])
    for chapter in export.container["chapters"]:
        chapter.update(render=None, video=None)
        for one in chapter["steps"]:
            one.update(caption={languages[0]: one["caption"]}, machineTranslated={})
    return export


def with_render(export: Export, data: bytes, *, languages: list[str], duration: float) -> Export:
    """Version 2's first chapter with `data` as its render, described as `languages` lasting `duration`."""
    records = export.container["files"]
    records[:] = [r for r in records if r["path"] != RENDER]
    records.append(plain_record(RENDER, data, "render"))
    export.files[RENDER] = data
    chapter = export.container["chapters"][0]
    for lang in languages:
        if lang not in chapter["subtitles"]:
            pair = {fmt: f"subtitles/01-intro/{lang}.{fmt}" for fmt in ("srt", "vtt")}
            for fmt, path in pair.items():
                body = (media.SRT if fmt == "srt" else media.VTT).encode()
                records.append(plain_record(path, body, "subtitle"))
                export.files[path] = body
            chapter["subtitles"][lang] = pair
    steps = len(chapter["steps"])
    chapter.update(render=RENDER, video={
        "languages": languages, "height": 240, "aspect": "4:3", "duration": duration,
        "steps": [{"start": round(i * duration / steps, 3), "caption": s["caption"][languages[0]],
                   "narration": s["narration"]} for i, s in enumerate(chapter["steps"])]})
    return export
