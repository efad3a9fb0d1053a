"""The render path's pieces on their own: the one list of transitions, caption layout, graph
shapes, loudness parsing and the classification of FFmpeg failures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from contentizer import transitions
from contentizer.api.serializers import StepSerializer
from contentizer.media import compose, ffmpeg
from contentizer.models import Step
from previews import cards, speech
from previews.api.serializers import PreviewStepInputSerializer
from previews.compile import Format
from previews.timeline import Output, Timeline, TimelineError, schema

REPO = Path(__file__).resolve().parents[2]


def test_every_schema_and_serializer_takes_its_transitions_from_the_one_list():
    accepted = set(transitions.accepted())
    timeline_enum = schema()["$defs"]["scene"]["properties"]["transition"]["properties"]["type"]["enum"]
    container = json.loads((REPO / "exports" / "container.schema.json").read_text())
    container_enum = container["properties"]["chapters"]["items"]["properties"]["steps"]["items"]["properties"][
        "transition"]["enum"]
    assert set(timeline_enum) == accepted and set(container_enum) == accepted
    assert Step._meta.get_field("transition").choices == transitions.choices()
    assert Step._meta.get_field("transition").default == "crossfade"
    for serializer in (StepSerializer(), PreviewStepInputSerializer()):
        assert set(serializer.fields["transition"].choices) == accepted
    assert transitions.canonical("fade") == "fadeblack" and transitions.xfade("crossfade") == "fade"


def test_a_timeline_refuses_an_unknown_transition_and_reads_fade_as_fadeblack():
    base = {"version": 1, "output": {"width": 64, "height": 64, "fps": 10}}
    with pytest.raises(TimelineError) as caught:
        Timeline.parse({**base, "scenes": [{"type": "title", "duration": 1, "transition": {"type": "spin"}},
                                           {"type": "title", "duration": 1}]})
    assert "scenes[0].transition.type" in caught.value.problems
    timeline = Timeline.parse({**base, "scenes": [
        {"type": "title", "duration": 1, "transition": {"type": "fade", "duration": 0.2}},
        {"type": "title", "duration": 1}]})
    assert timeline.scenes[0].transition.type == "fadeblack"


@pytest.mark.parametrize(("aspect", "resolution", "size"), [
    ("16:9", 480, (854, 480)), ("9:16", 720, (720, 1280)), ("1:1", 1080, (1080, 1080)), ("9:16", 1080, (1080, 1920)),
])
def test_the_resolution_is_the_short_edge_of_each_aspect(aspect, resolution, size):
    assert Format(aspect=aspect, resolution=resolution).size() == size


@pytest.mark.parametrize("size", [(854, 480), (480, 854), (480, 480)])
def test_a_long_caption_wraps_inside_the_safe_area(size, tmp_path):
    output = Output(width=size[0], height=size[1], fps=30)
    text = "Drag the Supercalifragilisticexpialidocious-widget onto the canvas, then press Save " * 2
    path, (x, y) = cards.caption_overlay(text, output, tmp_path / "caption.png")
    box = Image.open(path)
    safe = cards.SafeArea.of(output)
    assert x >= safe.side and x + box.width <= output.width - safe.side
    assert y >= 0 and y + box.height <= output.height - safe.bottom
    font = cards._font(max(12, min(size) // 20))
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines = cards.wrap(text, font, box.width - 20, draw, 6)
    assert all(draw.textlength(line, font=font) <= box.width - 20 for line in lines)
    short = cards.wrap(text, font, 200, draw, 2)
    assert len(short) == 2 and short[-1].endswith("…"), "text beyond the last line is marked, not cut silently"


def _picture(scenes: int, same_file: bool) -> compose.Picture:
    return compose.Picture(width=64, height=64, fps=10, scenes=tuple(
        compose.Scene(source=compose.Media(Path("a.jpg" if same_file else f"{i}.jpg"), "image2"), still=True,
                      frames=20, head=5 if i else 0, tail=5 if i < scenes - 1 else 0,
                      xfade="fade" if i < scenes - 1 else "")
        for i in range(scenes)))


def test_a_file_used_by_consecutive_scenes_is_one_input_split():
    args = compose.pieces_args(_picture(3, same_file=True), [([compose.Segment("transition", 0)], Path("o.mp4"))])
    assert args.count("-i") == 1
    graph = args[args.index("-filter_complex") + 1]
    assert "split=2" in graph and "xfade=transition=fade" in graph


def test_pieces_share_one_process_and_each_has_its_own_output():
    pic = _picture(3, same_file=False)
    segments = pic.segments()
    assert [(s.kind, s.index) for s in segments] == [
        ("body", 0), ("transition", 0), ("body", 1), ("transition", 1), ("body", 2)]
    assert sum(pic.frames(s) for s in segments) == pic.total_frames == 50
    args = compose.pieces_args(pic, [([s], Path(f"p{n}.mp4")) for n, s in enumerate(segments)])
    assert [a for a in args if a.endswith(".mp4")] == [f"p{n}.mp4" for n in range(5)]


def test_a_track_without_overlap_concatenates_its_clips_with_no_silent_bed():
    clips = tuple(compose.Clip(compose.Media(Path(f"{n}.wav"), "wav", 1.0), start, 2.0 if n else 0.0)
                  for n, start in enumerate((0.5, 3.0)))
    graph = compose._Graph()
    args = compose._audio_outputs(graph, [compose.Track(duration=5, rate=22050, channels=1, clips=clips)])
    text = ";".join(graph.chains)
    assert "anullsrc" not in text and "amix" not in text and "loudnorm" not in text
    assert "concat=n=2:v=0:a=1" in text and "adelay=delays=11025S" in text and compose.LIMITER in text
    assert args[args.index("-ar:a:0") + 1] == "22050" and args[args.index("-ac:a:0") + 1] == "1"


def test_overlapping_clips_are_mixed():
    clips = tuple(compose.Clip(compose.Media(Path(f"{n}.wav"), "wav", 3.0), start) for n, start in enumerate((0, 1)))
    graph = compose._Graph()
    compose._audio_outputs(graph, [compose.Track(duration=5, rate=22050, channels=1, clips=clips)])
    assert "amix=inputs=2" in ";".join(graph.chains)


def test_loudness_summaries_are_read_per_filter_instance():
    log = ("[Parsed_ebur128_3 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -20.5 LUFS\n"
           "  Sample peak:\n    Peak:       -1.0 dBFS\n"
           "[Parsed_ebur128_1 @ 0x2] Summary:\n\n  Integrated loudness:\n    I:         -70.0 LUFS\n"
           "  Sample peak:\n    Peak:       -inf dBFS\n")
    first, second = speech.parse_loudness(log, 2)
    assert (first.lufs, first.gain()) == (-70.0, 0.0), "instances in graph order; silence is left alone"
    assert (second.lufs, second.gain()) == (-20.5, 4.5)
    with pytest.raises(ffmpeg.FFmpegError):
        speech.parse_loudness(log, 3)


def test_an_invalid_graph_is_a_deterministic_failure(tmp_path):
    with pytest.raises(ffmpeg.FFmpegError) as caught:
        ffmpeg.run(["-f", "lavfi", "-i", "color=c=red:s=32x32:d=0.1", "-filter_complex", "[0:v]nosuchfilter[v]",
                    "-map", "[v]", "-f", "null", "-"], timeout=30)
    assert caught.value.deterministic and "graph" in caught.value.reason()
    assert str(tmp_path) not in caught.value.reason()


def test_a_damaged_input_is_a_deterministic_failure(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    with pytest.raises(ffmpeg.FFmpegError) as caught:
        ffmpeg.run(["-f", "image2", "-i", str(broken), "-f", "null", "-"], timeout=30)
    assert caught.value.deterministic and "damaged" in caught.value.reason()


def test_a_timeout_or_a_kill_is_not_deterministic():
    assert not ffmpeg.FFmpegError("ffmpeg timed out after 1s").deterministic
    assert not ffmpeg.FFmpegError("killed", returncode=-9, stderr_tail="Invalid data found").deterministic


def _wav(path: Path, samples: np.ndarray, rate: int = 8000) -> Path:
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return path


def test_a_narration_track_is_laid_out_sample_exact_with_silence_between(tmp_path):
    import wave

    from contentizer.media import pcm

    first = _wav(tmp_path / "a.wav", np.full(100, 1000))
    second = _wav(tmp_path / "b.wav", np.full(300, -2000))
    out = pcm.lay_out([(second, 250), (first, 10)], rate=8000, channels=1, frames=400, out=tmp_path / "t.wav")
    with wave.open(str(out)) as wav:
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert len(data) == 400
    assert (data[:10] == 0).all() and (data[10:110] == 1000).all() and (data[110:250] == 0).all()
    assert (data[250:] == -2000).all(), "the last clip is cut at the end of the track"


def test_the_limiter_keeps_peaks_under_the_ceiling_and_the_rest_untouched():
    from contentizer.media import pcm

    quiet = np.sin(np.linspace(0, 200, 8000)) * 0.3
    loud = quiet.copy()
    loud[4000:4010] = 1.8
    limited = pcm.limit(loud, ceiling=0.84, window=40)
    assert np.abs(limited).max() <= 0.84 + 1e-9
    assert np.allclose(limited[:3900], loud[:3900]) and np.allclose(limited[4100:], loud[4100:])


def _two_pictures(captions: list[str], *, narrated_first: float = 2.0) -> Timeline:
    return Timeline.parse({"version": 1, "output": {"width": 64, "height": 64, "fps": 30, "quality": "final"},
                           "scenes": [{"type": "image", "asset": "a" * 64, "caption": captions[0],
                                       "duration": narrated_first, "transition": {"type": "dissolve", "duration": 0.5}},
                                      {"type": "image", "asset": "b" * 64, "caption": captions[1], "duration": 2.0}]})


def test_languages_share_the_pieces_that_look_the_same_and_only_those(tmp_path, monkeypatch):
    """A piece's key holds its caption's text: German and English bodies differ, a body whose
    caption and length agree is one piece, and the cross-fade (no caption) is shared."""
    from types import SimpleNamespace

    from contentizer.jobs.runner import JobContext
    from previews.render import Render

    monkeypatch.setattr(Render, "_blob", lambda self, sha256, i, where="": SimpleNamespace(ext="png"))

    def keys(timeline: Timeline, name: str) -> list[str]:
        render = Render(JobContext(job=None, work_dir=tmp_path), timeline, [], timeout=10, workspace=name)
        return [piece.key for piece in render.pieces()]

    english = keys(_two_pictures(["Open the menu", "Done"]), "en")
    german = keys(_two_pictures(["Öffnen Sie das Menü", "Done"]), "de")
    again = keys(_two_pictures(["Open the menu", "Done"]), "en-again")
    assert len(english) == 3 and english == again  # body, cross-fade, body: by content, not by run
    assert english[0] != german[0], "a body with another caption is another piece"
    assert english[1:] == german[1:], "the cross-fade and the body with the same caption are shared"
    longer = keys(_two_pictures(["Open the menu", "Done"], narrated_first=3.0), "en-longer")
    assert longer[0] != english[0] and longer[1:] == english[1:], "a longer step is another body, same fade"
