"""Preview render speed: the product path (compose_args + ffmpeg.run) against a hand-written command.

Standalone script, not a test: `.venv/bin/python bench/render_preview.py` from the repo root.

A 30-second chapter of 6 screenshot scenes (captions, 5 transitions of 0.5 s, narration on 3
scenes, looped music) is rendered at 854x480 and 1280x720, 30 fps, best of 3, by the product
(exactly the worker's calls, with progress parsing) and by one ffmpeg command whose
filter_complex is written here by hand with the same graph shape, inputs and encoder settings.
Both outputs are checked with PyAV. Everything goes to a temporary directory removed at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parent.parent
FPS = 30
RUNS = 3
SCENES = 6
TOTAL = 30.0
TRANSITIONS = ["dissolve", "fade", "wipeleft", "slideleft", "dissolve"]
XFADE_NAMES = {"fade": "fadeblack"}  # product name -> xfade name where they differ
TRANSITION = 0.5
SCENE = (TOTAL + (SCENES - 1) * TRANSITION) / SCENES  # 5.41667 s: 6 scenes - 5 overlaps == 30 s
NARRATED = {0: 3.2, 2: 4.0, 4: 2.5}  # scene -> narration seconds
MUSIC_SECONDS, MUSIC_VOLUME = 12.0, 0.3
RESOLUTIONS = [(854, 480), (1280, 720)]
CAPTIONS = [
    "Open the dashboard and pick your workspace",
    "Click New project in the top right corner",
    "Name the project and choose a template",
    "Invite your teammates by email",
    "Upload the first batch of screenshots",
    "Press Publish: the chapter is ready to share",
]


def screenshot(i: int, path: Path) -> None:
    """A 1920x1080 UI-like picture: header, sidebar, cards, buttons and text (flat colours)."""
    accent = [(52, 120, 246), (16, 163, 127), (234, 88, 12), (147, 51, 234), (220, 38, 38), (8, 145, 178)][i]
    img = Image.new("RGB", (1920, 1080), (245, 246, 248))
    draw = ImageDraw.Draw(img)
    font, small = ImageFont.load_default(size=34), ImageFont.load_default(size=22)
    draw.rectangle((0, 0, 1920, 72), fill=(33, 37, 41))
    draw.text((32, 18), f"Contentizer  /  Step {i + 1}", font=font, fill="white")
    draw.rectangle((0, 72, 300, 1080), fill=(228, 231, 235))
    for row in range(9):
        fill = accent if row == i else (200, 204, 210)
        draw.rounded_rectangle((24, 110 + row * 64, 276, 154 + row * 64), radius=8, fill=fill)
        draw.text((40, 118 + row * 64), f"Menu item {row + 1}", font=small, fill=(20, 20, 20))
    for col in range(3):
        for row in range(2):
            x, y = 360 + col * 510, 130 + row * 430
            draw.rounded_rectangle((x, y, x + 470, y + 390), radius=14, fill="white", outline=(210, 214, 220), width=2)
            draw.rectangle((x + 24, y + 24, x + 446, y + 200), fill=tuple(min(255, c + 60 * row) for c in accent))
            draw.text((x + 24, y + 220), f"Card {row * 3 + col + 1}: quarterly report", font=small, fill=(30, 30, 30))
            draw.text((x + 24, y + 260), "Updated 3 minutes ago by Alex", font=small, fill=(120, 120, 120))
            draw.rounded_rectangle((x + 24, y + 320, x + 184, y + 366), radius=8, fill=accent)
            draw.text((x + 48, y + 330), "Open", font=small, fill="white")
    img.save(path, format="PNG")


def ffmpeg_cmd(binary: str, *args: str) -> None:
    subprocess.run([binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def make_inputs(binary: str, work: Path) -> dict:
    shots = []
    for i in range(SCENES):
        shots.append(work / f"shot-{i}.png")
        screenshot(i, shots[-1])
    narration = {}
    for scene, seconds in NARRATED.items():
        narration[scene] = work / f"narration-{scene}.wav"
        sine = f"sine=frequency={300 + 100 * scene}:duration={seconds}:sample_rate=44100"
        ffmpeg_cmd(binary, "-f", "lavfi", "-i", sine, "-ac", "1", str(narration[scene]))
    music = work / "music.mp3"
    ffmpeg_cmd(binary, "-f", "lavfi", "-i", f"sine=frequency=220:duration={MUSIC_SECONDS}:sample_rate=44100",
               "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k", str(music))
    return {"shots": shots, "narration": narration, "music": music}


def composition(inputs: dict, width: int, height: int, work: Path):
    """The Composition preview_render builds for this chapter, drawing the caption overlays as it does."""
    from contentizer.media.compose import Clip, Composition, Media
    from previews import cards
    from previews.timeline import Output

    output = Output(width=width, height=height, fps=FPS)
    clips = []
    for i in range(SCENES):
        caption = cards.caption_overlay(CAPTIONS[i], output, work / f"caption-{width}-{i}.png")
        narration = inputs["narration"].get(i)
        clips.append(Clip(
            source=Media(inputs["shots"][i], "image2"), duration=SCENE, still=True, caption=caption,
            transition=TRANSITIONS[i] if i < SCENES - 1 else "cut",
            transition_duration=TRANSITION if i < SCENES - 1 else 0.0,
            narration=Media(narration, "wav") if narration else None,
        ))
    comp = Composition(width=width, height=height, fps=FPS, clips=tuple(clips),
                       music=Media(inputs["music"], "mp3"), music_volume=MUSIC_VOLUME)
    assert abs(comp.duration - TOTAL) < 1e-6, comp.duration
    return comp


def baseline_argv(binary: str, inputs: dict, width: int, height: int, work: Path, out: Path) -> list[str]:
    """One hand-written command: the same graph shape, inputs, audio mix and encoder settings."""
    starts = [i * (SCENE - TRANSITION) for i in range(SCENES)]
    xf = round(TRANSITION * FPS)
    frame = [int(t * FPS + 0.5) for t in starts]  # output frame where each scene's head starts
    ends = [*(f + xf for f in frame[1:]), round(TOTAL * FPS)]  # ... and where its tail ends
    ins, graph, pieces = [], [], []
    for i in range(SCENES):
        ins += ["-f", "image2", "-framerate", str(FPS), "-i", str(inputs["shots"][i]),
                "-f", "image2", "-i", str(work / f"caption-{width}-{i}.png")]
        head, tail = (xf if i else 0), (xf if i < SCENES - 1 else 0)
        body = ends[i] - frame[i] - head - tail
        segs = [(n, f) for n, f in (("h", head), ("b", body), ("t", tail)) if f]
        graph.append(
            f"[{2 * i}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1[s{i}];"
            f"[s{i}][{2 * i + 1}:v]overlay=0:0,format=yuv420p,split={len(segs)}{''.join(f'[{n}{i}i]' for n, _ in segs)}"
        )
        graph += [f"[{n}{i}i]loop=loop={f - 1}:size=1:start=0,setpts=N/{FPS}/TB[{n}{i}]" for n, f in segs]
        if i:
            kind = XFADE_NAMES.get(TRANSITIONS[i - 1], TRANSITIONS[i - 1])
            graph.append(f"[t{i - 1}][h{i}]xfade=transition={kind}:duration={TRANSITION}:offset=0[x{i}]")
            pieces.append(f"[x{i}]")
        pieces.append(f"[b{i}]")
    graph.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0[v]")
    bed = 2 * SCENES  # input index of the silent bed: amix's first input sets the length
    ins += ["-f", "lavfi", "-t", f"{TOTAL}", "-i", "anullsrc=r=48000:cl=stereo"]
    tracks, n = [f"[{bed}:a]"], bed + 1
    for scene, path in inputs["narration"].items():
        ins += ["-f", "wav", "-i", str(path)]
        graph.append(f"[{n}:a]aresample=48000,aformat=channel_layouts=stereo,"
                     f"adelay=delays={round(starts[scene] * 1000)}:all=1[n{scene}]")
        tracks.append(f"[n{scene}]")
        n += 1
    ins += ["-f", "mp3", "-stream_loop", "-1", "-i", str(inputs["music"])]
    graph.append(f"[{n}:a]aresample=48000,aformat=channel_layouts=stereo,"
                 f"volume={MUSIC_VOLUME},atrim=duration={TOTAL}[mu]")
    tracks.append("[mu]")
    graph.append(f"{''.join(tracks)}amix=inputs={len(tracks)}:duration=first:normalize=0[a]")
    return [binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *ins,
            "-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p", "-r", str(FPS),
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-movflags", "+faststart", "-t", f"{TOTAL}", "-f", "mp4",
            str(out)]


def check(path: Path) -> tuple[int, list[str]]:
    """(video frames, problems): H.264 + AAC, container and video within one frame of TOTAL."""
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        frames = video.frames or sum(1 for _ in container.decode(video))
        duration = container.duration / av.time_base
    problems = []
    if video.codec_context.name != "h264" or audio.codec_context.name != "aac":
        problems.append(f"{path.name}: streams {video.codec_context.name}/{audio.codec_context.name}")
    for what, seconds in (("container", duration), ("video", frames / FPS)):
        if abs(seconds - TOTAL) > 1 / FPS + 1e-6:
            problems.append(f"{path.name}: {what} lasts {seconds:.4f}s, not {TOTAL}s within a frame")
    return frames, problems


def best_of(fn) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench(resolution: tuple[int, int], binary: str, inputs: dict, work: Path) -> dict:
    from contentizer.media import ffmpeg
    from contentizer.media.compose import compose_args

    width, height = resolution
    product_out, baseline_out = work / f"product-{height}p.mp4", work / f"baseline-{height}p.mp4"
    started = time.perf_counter()
    comp = composition(inputs, width, height, work)
    compose_args(comp, product_out)
    prep = time.perf_counter() - started
    progress: list[float] = []

    def product() -> None:  # what preview_render runs: compose_args + ffmpeg.run with progress parsing
        product_out.unlink(missing_ok=True)
        progress.clear()
        ffmpeg.run(compose_args(comp, product_out), timeout=600, total_seconds=TOTAL, on_progress=progress.append,
                   log_path=str(work / f"product-{height}p.log"))

    product_wall = best_of(product)
    argv = baseline_argv(binary, inputs, width, height, work, baseline_out)
    baseline_wall = best_of(lambda: subprocess.run(argv, check=True))
    (p_frames, p_problems), (b_frames, b_problems) = check(product_out), check(baseline_out)
    problems = p_problems + b_problems
    if p_frames != b_frames:
        problems.append(f"frame counts differ: product {p_frames}, baseline {b_frames} (expected {round(TOTAL * FPS)})")
    if not progress or progress[-1] < 99:
        problems.append(f"product progress ended at {progress[-1] if progress else None}%")
    row = {"res": f"{width}x{height}", "prep": prep, "product": product_wall, "rt": TOTAL / product_wall,
           "baseline": baseline_wall, "ratio": product_wall / baseline_wall, "p_size": product_out.stat().st_size,
           "b_size": baseline_out.stat().st_size, "p_frames": p_frames, "b_frames": b_frames, "problems": problems}
    print(f"\n== {row['res']} @ {FPS} fps, {TOTAL:g} s, {SCENES} scenes ==")
    print(f"python prep (6 caption overlays + compose_args): {prep * 1000:.1f} ms")
    print(f"product  wall (best of {RUNS}): {product_wall:.3f} s  = {row['rt']:.1f}x real time")
    print(f"baseline wall (best of {RUNS}): {baseline_wall:.3f} s  = {TOTAL / baseline_wall:.1f}x real time")
    print(f"ratio product/baseline: {row['ratio']:.3f}")
    print(f"sizes: product {row['p_size']:,} B, baseline {row['b_size']:,} B; frames {p_frames} / {b_frames}")
    print(f"checks: {'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
    return row


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="render-bench-"))
    try:
        os.environ["DJANGO_SETTINGS_MODULE"] = "contentizer.settings"
        os.environ["DATA_DIR"] = str(tmp / "data")
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from contentizer.media import ffmpeg

        binary = ffmpeg.binary()
        print(f"ffmpeg: {binary}\ncpus: {os.cpu_count()}  scene: {SCENE:.4f} s x {SCENES}, transitions {TRANSITION} s")
        work = tmp / "work"
        work.mkdir()
        inputs = make_inputs(binary, work)
        rows = [bench(res, binary, inputs, work) for res in RESOLUTIONS]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n| resolution | prep ms | product s | x real time | baseline s | prod/base | product B | baseline B |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['res']} | {r['prep'] * 1000:.1f} | {r['product']:.3f} | {r['rt']:.1f} | {r['baseline']:.3f} "
              f"| {r['ratio']:.3f} | {r['p_size']:,} | {r['b_size']:,} |")
    failed = [p for r in rows for p in r["problems"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
