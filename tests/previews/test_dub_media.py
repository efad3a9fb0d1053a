"""The media of a dub (previews/dubs/media.py): the timing rule as units and properties, the renders with
real FFmpeg on a screen-like recording with the bundled English voice, measured from what they wrote."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from pathlib import Path

import av
import m3u8
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contentizer.media import ffmpeg, probe
from contentizer.media.compose import Media
from previews import speech as loudness
from previews.dubs import media
from previews.dubs.media import MAX_SPEED, Fit, fit
from tests.previews.recording import Recording, make_recording

FPS = 30
PORTUGUESE = [
    "Pressione Ctrl+S para salvar o projeto antes de fechar o editor.",
    "O plano gratuito guarda até quinze megabytes por vídeo, e o plano de equipe guarda dois gigabytes.",
    "Abra o GitHub no Firefox e entre com a sua conta de trabalho.",
]


# --- the timing rule ---------------------------------------------------------------------------------

def test_it_places_a_clip_that_fits_at_its_segment_start_as_it_is():
    placed = fit([(1.0, 3.0), (4.0, 6.0)], [2.5, 1.0], end=8.0)
    assert [(p.index, p.start, p.speed, p.duration) for p in placed.placed] == [(0, 1.0, 1.0, 2.5), (1, 4.0, 1.0, 1.0)]
    assert (placed.holds, placed.sped_up, placed.grown, placed.duration) == ((), 0, 0.0, 8.0)


def test_it_speeds_up_a_clip_longer_than_its_slot_within_the_limit():
    placed = fit([(0.0, 2.0), (3.0, 5.0)], [3.6, 1.0], end=6.0, max_speed=1.25)
    assert placed.placed[0].speed == pytest.approx(1.2)
    assert placed.placed[0].duration == pytest.approx(3.0)
    assert (placed.holds, placed.sped_up, placed.placed[1].start) == ((), 1, 3.0)


def test_it_holds_the_picture_at_the_slot_end_for_what_the_limit_cannot_fit():
    placed = fit([(0.0, 2.0), (3.0, 5.0)], [5.0, 1.0], end=6.0, max_speed=1.25, fps=FPS)
    assert placed.placed[0].speed == 1.25
    assert placed.holds == ((3.0, pytest.approx(1.0)),)
    assert placed.placed[1].start == pytest.approx(4.0)
    assert (placed.grown, placed.duration) == (pytest.approx(1.0), pytest.approx(7.0))


def test_a_hold_is_whole_frames():
    placed = fit([(0.0, 1.0)], [1.3], end=1.0, max_speed=1.0, fps=FPS)
    assert placed.holds[0][0] == 1.0
    assert placed.holds[0][1] * FPS == pytest.approx(9)  # 0.3 s is exactly 9 frames


def test_a_fit_survives_its_stage_record():
    placed = fit([(0.0, 2.0), (3.0, 5.0)], [5.0, 1.0], end=6.0)
    assert Fit.from_json(placed.to_json()) == placed


@st.composite
def _segments(draw):
    count = draw(st.integers(min_value=0, max_value=12))
    # segments start at distinct times, as a recogniser's do (a slot of no length would hold at its own start)
    gaps = draw(st.lists(st.floats(min_value=0.05, max_value=5.0), min_size=count, max_size=count))
    starts = list(np.cumsum(gaps)) if count else []
    clips = draw(st.lists(st.floats(min_value=0.0, max_value=8.0), min_size=count, max_size=count))
    end = (starts[-1] if starts else 0.0) + draw(st.floats(min_value=0.05, max_value=5.0))
    return [(float(s), float(s) + 0.1) for s in starts], clips, float(end)


@settings(max_examples=300, deadline=None)
@given(_segments(), st.sampled_from([1.0, 1.1, 1.25, 1.5]))
def test_no_two_clips_overlap_and_each_starts_where_its_segment_does(segments, max_speed):
    slots, clips, end = segments
    placed = fit(slots, clips, end=end, max_speed=max_speed, fps=FPS)
    assert sorted(p.index for p in placed.placed) == list(range(len(slots)))
    ordered = placed.placed
    for k, p in enumerate(ordered):
        after = ordered[k + 1] if k + 1 < len(ordered) else None
        assert 1.0 <= p.speed <= max_speed
        assert p.duration == pytest.approx(clips[p.index] / p.speed)
        assert abs(p.start - placed.at(slots[p.index][0])) < 0.1  # within 100 ms of its segment, on the output
        limit = after.start if after else placed.duration
        assert p.start + p.duration <= limit + 1e-6  # never into the next segment
    for point, seconds in placed.holds:  # a hold only where the fastest speech did not fit
        k = next(k for k, p in enumerate(ordered) if math.isclose(placed.at(point) - seconds,
                                                                  p.start + _room(slots, p, end), abs_tol=1e-6))
        assert ordered[k].speed == max_speed and seconds * FPS == pytest.approx(round(seconds * FPS))
        assert seconds < clips[ordered[k].index] / max_speed - _room(slots, ordered[k], end) + 1 / FPS + 1e-6
    assert placed.grown == pytest.approx(sum(seconds for _, seconds in placed.holds))
    assert placed.duration == pytest.approx(end + placed.grown)
    assert placed.sped_up == sum(1 for p in ordered if p.speed > 1.0)


def _room(slots, p, end) -> float:
    start = slots[p.index][0]
    later = [s for s, _ in slots if s > start]
    return (min(later) if later else end) - start


# --- a recording --------------------------------------------------------------------------------------

def _moving(recording: Recording, directory: Path) -> Path:
    """The recording's sound under a picture that changes every frame (testsrc2, at 25 frames a second as
    some screen recorders write), so a held frame shows."""
    out = directory / "moving.mp4"
    width = 640
    ffmpeg.run(["-f", "lavfi", "-i", f"testsrc2=s={width}x360:r=25:d={recording.duration:.3f}", "-f", "wav", "-i",
                str(recording.wav), "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-shortest", "-f", "mp4", str(out)], timeout=120)
    return out


def _voice(voice_id: str):
    """The product's voice and its engine, without the voice registry (which asks the database for
    uploaded voices: these fixtures are made once for the module, outside any test's database)."""
    from previews.tts import catalogue

    engine = catalogue.engines()[voice_id.split(":")[0]]
    return next(v for v in engine.discover() if v.id == voice_id), engine


def _say(directory: Path, voice_id: str, language: str, text: str, name: str) -> tuple[Path, float]:
    from previews import tts

    voice, engine = _voice(voice_id)
    out = directory / f"{name}.wav"
    seconds = engine.synthesize(voice, tts.spoken_text(text=text, language=language, entries=[])[0], 1.0, out)
    return out, seconds


@pytest.fixture(scope="module")
def recording(tmp_path_factory, django_db_setup, django_db_blocker) -> Recording:
    from tests.previews.speech import TUTORIAL_SENTENCES

    with django_db_blocker.unblock():  # the voice catalogue looks for uploaded voices
        return make_recording(tmp_path_factory.mktemp("recording"), TUTORIAL_SENTENCES[:3])


@dataclass(frozen=True)
class Dub:
    path: Path
    fit: Fit
    clips: list[Path | None]
    seconds: float


@pytest.fixture(scope="module")
def dubbed(recording, tmp_path_factory) -> Dub:
    """Portuguese: the first sentence said twice (too long for its slot: sped up to the limit and held),
    nothing for the second (the original voice is heard there), the third as it comes."""
    directory = tmp_path_factory.mktemp("dub")
    moving = _moving(recording, directory)
    first, first_seconds = _say(directory, "espeak:pt-br", "pt", f"{PORTUGUESE[0]} {PORTUGUESE[1]}", "pt-0")
    third, third_seconds = _say(directory, "espeak:pt-br", "pt", PORTUGUESE[2], "pt-2")
    clips = [first, None, third]
    placed = fit([(s, e) for s, e, _ in recording.spans], [first_seconds, 0.0, third_seconds], end=recording.duration)
    assert placed.holds and placed.placed[0].speed == MAX_SPEED, "the first clip must need a hold"
    out = directory / "pt.mp4"
    seconds = media.render_dubbed(Media(moving, "mp4"), has_video=True, fit=placed, clips=clips, out=out,
                                  height=360, work_dir=directory, timeout=300, language="pt", original_language="en")
    return Dub(out, placed, clips, seconds)


def _pcm(path: Path, stream: str, *, rate: int = 16000, work_dir: Path, demuxer: str = "mp4",
         af: str = "") -> np.ndarray:
    raw = work_dir / f"{path.stem}-{stream.replace(':', '')}-{rate}.f32"
    ffmpeg.run(["-f", demuxer, "-i", str(path), "-map", stream, *(["-af", af] if af else []), "-ac", "1",
                "-ar", str(rate), "-f", "f32le", str(raw)], timeout=120)
    return np.fromfile(raw, dtype=np.float32)


def _lufs(path: Path, work_dir: Path, demuxer: str = "mp4") -> float:
    return loudness.measure([Media(path, demuxer)], work_dir=work_dir, timeout=120)[0].lufs


# --- the original -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def original(recording, tmp_path_factory) -> tuple[Path, float]:
    directory = tmp_path_factory.mktemp("original")
    out = directory / "en.mp4"
    seconds = media.render_original(Media(recording.path, "mp4"), has_video=True, out=out, height=240,
                                    work_dir=directory, timeout=300, language="en")
    return out, seconds


def test_the_original_keeps_its_sound_as_it_was(recording, original, tmp_path):
    out, _ = original
    rate = probe.audio_format(str(out), demuxer="mp4")[0]
    before = _pcm(recording.path, "0:a:0", rate=rate, work_dir=tmp_path)
    after = _pcm(out, "0:a:0", rate=rate, work_dir=tmp_path)
    assert abs(len(after) - len(before)) <= 1024, "the same decoded length, within one AAC frame"
    assert abs(_lufs(out, tmp_path) - _lufs(recording.path, tmp_path)) < 1.0


def test_the_original_picture_is_the_products_h264_at_the_height_asked(recording, original):
    out, seconds = original
    info = probe.probe(str(out), demuxer="mp4", max_streams=4, count_frames=True)
    picture = info.first("video")
    assert (picture.codec, picture.width, picture.height) == ("h264", 426, 240)
    assert [s.codec for s in info.streams if s.type == "audio"] == ["aac"]
    assert info.video_frames == round(recording.duration * FPS)
    assert seconds == pytest.approx(recording.duration, abs=1 / FPS)
    assert probe.codec_string(str(out), demuxer="mp4", stream_type="video").startswith("avc1.64")  # High profile


def test_a_recording_without_picture_gets_a_plain_one(recording, tmp_path):
    sound = tmp_path / "sound.m4a"
    ffmpeg.run(["-f", "mp4", "-i", str(recording.path), "-map", "0:a", "-c", "copy", "-f", "mp4", str(sound)],
               timeout=60)
    out = tmp_path / "plain.mp4"
    media.render_original(Media(sound, "mp4"), has_video=False, out=out, height=180, work_dir=tmp_path, timeout=120)
    picture = probe.probe(str(out), demuxer="mp4", max_streams=4).first("video")
    assert (picture.width, picture.height) == (320, 180)
    frame = probe.poster_frame(str(out), demuxer="mp4", at_seconds=1.0)
    low, high = frame.convert("L").getextrema()
    assert high - low <= 2  # one flat colour


# --- a dub --------------------------------------------------------------------------------------------

def test_the_dubbed_picture_lasts_the_recording_and_its_holds(recording, dubbed):
    info = probe.probe(str(dubbed.path), demuxer="mp4", max_streams=4, count_frames=True)
    held = sum(round(seconds * FPS) for _, seconds in dubbed.fit.holds)
    assert info.video_frames == round(recording.duration * FPS) + held
    assert dubbed.seconds == pytest.approx(dubbed.fit.duration, abs=1 / FPS)
    assert [s.codec for s in info.streams] == ["h264", "aac", "aac"]


def test_the_picture_holds_one_frame_during_a_hold(dubbed):
    """Decoded, a held frame is not bit for bit the same each time (the encoder refines a still picture
    frame after frame): held frames differ by a fraction of a grey level, moving ones by several."""
    point, seconds = dubbed.fit.holds[0]
    count = round(seconds * FPS)
    first = round(dubbed.fit.at(point) * FPS) - count  # the first held frame, on the output
    frames = _frames(dubbed.path)
    held = frames[first: first + count]
    assert len(held) == count
    assert max(_change(frame, held[-1]) for frame in held) < 1.0, "one picture for the whole hold"
    assert _change(frames[first - 3], held[0]) > 2.0, "moving before the hold"
    assert _change(frames[first + count + 3], held[-1]) > 2.0, "moving again after it"


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path), format="mp4") as container:
        return [frame.to_ndarray(format="gray").astype(np.float32) for frame in container.decode(video=0)]


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def _reference(dub: Dub, work_dir: Path, rate: int, total: int) -> list[tuple[int, np.ndarray]]:
    """Each dubbed clip as the mix should hold it (its speed), mono at `rate`: (first sample, samples)."""
    out = []
    for p in dub.fit.placed:
        clip = dub.clips[p.index]
        if clip is None:
            continue
        tempo = f",{media.atempo(p.speed)}" if p.speed > 1.0 else ""
        audio_rate = probe.audio_format(str(dub.path), demuxer="mp4")[0]
        said = _pcm(clip, "0:a:0", rate=rate, work_dir=work_dir, demuxer="wav", af=f"aresample={audio_rate}{tempo}")
        out.append((round(p.start * rate), said[: total - round(p.start * rate)]))
    return out


def test_each_dubbed_clip_is_heard_where_it_was_placed(dubbed, tmp_path):
    """The loudness envelope (10 ms frames) of each clip as placed, against the mix's around its place
    (not the waveform: atempo splices a clip raised to the target level at other points than the clip)."""
    rate, frame, window = 16000, 160, 20  # ±0.2 s searched, 10 ms at a time
    mix = _envelope(_pcm(dubbed.path, "0:a:0", rate=rate, work_dir=tmp_path), frame)
    for start, said in _reference(dubbed, tmp_path, rate, len(mix) * frame):
        pattern, at = _envelope(said, frame), round(start / frame)
        scores = [_pearson(mix[at + lag: at + lag + len(pattern)], pattern) for lag in range(-window, window + 1)
                  if at + lag >= 0]
        best = int(np.argmax(scores))
        assert scores[best] > 0.8, "the clip is in the mix"
        assert abs(best - min(window, at)) * frame / rate < 0.1, "within 100 ms of its place"


def _envelope(samples: np.ndarray, frame: int) -> np.ndarray:
    whole = len(samples) // frame * frame
    return np.sqrt((samples[:whole].astype(np.float64) ** 2).reshape(-1, frame).mean(axis=1))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def test_the_original_voice_is_ducked_under_the_dubbed_one(dubbed, recording, tmp_path):
    """The mix is G·(speech + duck·room), the speech unrelated to the room: projected on the room as this
    picture holds it (the second track), the room's share under the dubbed speech against its share where
    nothing is dubbed."""
    rate = 16000
    mix = _pcm(dubbed.path, "0:a:0", rate=rate, work_dir=tmp_path)
    room = _pcm(dubbed.path, "0:a:1", rate=rate, work_dir=tmp_path)[: len(mix)]
    under = [p for p in dubbed.fit.placed if dubbed.clips[p.index] is not None]
    ducked = [_share(mix, room, p.start + 0.5, p.start + p.duration - 0.3, rate) for p in under]
    silent = next(p for p in dubbed.fit.placed if dubbed.clips[p.index] is None)
    source_start, source_end, _ = recording.spans[silent.index]
    free = _share(mix, room, dubbed.fit.at(source_start) + 0.5, dubbed.fit.at(source_end), rate)
    for share in ducked:
        assert 20 * math.log10(max(share, 1e-6) / free) < -10, "at least 10 dB under the dubbed speech"


def _share(mix: np.ndarray, room: np.ndarray, start: float, end: float, rate: int) -> float:
    a, b = round(start * rate), round(end * rate)
    return abs(float(np.dot(mix[a:b], room[a:b]) / (np.dot(room[a:b], room[a:b]) + 1e-12)))


def test_the_dubbed_track_is_as_loud_as_narrated_videos(dubbed, tmp_path):
    measured = _lufs(dubbed.path, tmp_path)
    assert abs(measured - loudness.TARGET_LUFS) < 1.0, measured


def test_the_original_track_of_a_dub_keeps_its_level(dubbed, recording, tmp_path):
    kept = tmp_path / "kept.m4a"
    ffmpeg.run(["-f", "mp4", "-i", str(dubbed.path), "-map", "0:a:1", "-c", "copy", "-f", "mp4", str(kept)], timeout=60)
    assert abs(_lufs(kept, tmp_path) - _lufs(recording.path, tmp_path)) < 1.0
    with av.open(str(dubbed.path), format="mp4") as container:
        assert [s.metadata.get("language") for s in container.streams.audio] == ["por", "eng"]


def test_a_recording_without_picture_is_dubbed_on_a_plain_one(recording, dubbed, tmp_path):
    out = tmp_path / "pt.mp4"
    seconds = media.render_dubbed(Media(recording.wav, "wav"), has_video=False, fit=dubbed.fit, clips=dubbed.clips,
                                  out=out, height=180, work_dir=tmp_path, timeout=300, language="pt")
    info = probe.probe(str(out), demuxer="mp4", max_streams=4, count_frames=True)
    held = sum(round(s * FPS) for _, s in dubbed.fit.holds)
    assert info.video_frames == round(recording.duration * FPS) + held
    assert seconds == pytest.approx(dubbed.fit.duration, abs=1 / FPS)
    assert [s.codec for s in info.streams] == ["h264", "aac"]


# --- packaging ----------------------------------------------------------------------------------------

@pytest.fixture
def packaged(db, recording, original, dubbed, tmp_path):
    from previews.models import Video

    video = Video(id=uuid.uuid4(), languages=["en", "pt"])
    cues = {"en": [(start, end, text) for start, end, text in recording.spans],
            "pt": [(recording.spans[0][0], recording.spans[0][1], f"{PORTUGUESE[0]} {PORTUGUESE[1]}"),
                   (recording.spans[2][0], recording.spans[2][1], PORTUGUESE[2])]}
    fields = media.package(video, pictures={"en": original[0], "pt": dubbed.path}, subtitles=cues,
                           fits={"pt": dubbed.fit}, work_dir=tmp_path)
    for name, value in fields.items():
        setattr(video, name, value)
    return video


def _stored(key: str, directory: Path) -> Path:
    from django.core.files.storage import default_storage

    out = directory / key
    out.parent.mkdir(parents=True, exist_ok=True)
    with default_storage.open(key, "rb") as stored:
        out.write_bytes(stored.read())
    return out


def _master(video, language: str) -> m3u8.M3U8:
    from django.core.files.storage import default_storage

    tree = video.picture(language)["tree"]
    with default_storage.open(f"{video.hls_prefix}/{tree + '/' if tree else ''}master.m3u8", "rb") as stored:
        return m3u8.loads(stored.read().decode())


def test_each_picture_offers_its_sound_and_every_languages_subtitles(packaged):
    english, portuguese = _master(packaged, "en"), _master(packaged, "pt")
    assert [(m.language, m.default) for m in english.media if m.type == "AUDIO"] == [("en", "YES")]
    assert [(m.language, m.default) for m in portuguese.media if m.type == "AUDIO"] == [("pt", "YES"), ("en", "NO")]
    for master in (english, portuguese):
        assert sorted(m.language for m in master.media if m.type == "SUBTITLES") == ["en", "pt"]
        assert len(master.playlists) == 1 and master.playlists[0].stream_info.bandwidth > 0


def test_every_media_playlist_parses_and_lasts_its_picture(packaged):
    from django.core.files.storage import default_storage

    for language in packaged.languages:
        picture, tree = packaged.picture(language), packaged.picture(language)["tree"]
        master = _master(packaged, language)
        base = f"{packaged.hls_prefix}/{tree + '/' if tree else ''}"
        for uri in [master.playlists[0].uri, *(m.uri for m in master.media)]:
            with default_storage.open(base + uri, "rb") as stored:
                playlist = m3u8.loads(stored.read().decode())
            assert playlist.is_endlist and playlist.segments
            assert sum(s.duration for s in playlist.segments) == pytest.approx(picture["duration"], abs=0.2)


def test_each_languages_mp4_has_its_tracks_and_subtitles(packaged, tmp_path):
    for language, tracks in (("en", ["eng"]), ("pt", ["por", "eng"])):
        mp4 = _stored(packaged.picture(language)["mp4Key"], tmp_path)
        with av.open(str(mp4), format="mp4") as container:
            assert [s.metadata.get("language") for s in container.streams.audio] == tracks
            assert len(container.streams.video) == 1
            assert sorted(s.metadata.get("language") for s in container.streams.subtitles) == ["eng", "por"]


def test_subtitles_are_timed_to_each_picture(packaged, recording, dubbed, tmp_path):
    import webvtt

    third = recording.spans[2][0]
    for language, expected in (("en", third), ("pt", dubbed.fit.at(third))):
        tree = packaged.picture(language)["tree"]
        vtt = _stored(f"{packaged.hls_prefix}/{tree + '/' if tree else ''}subs_en/subtitles.vtt", tmp_path / language)
        starts = [_seconds(caption.start) for caption in webvtt.read(str(vtt))]
        assert any(abs(start - expected) < 0.01 for start in starts), (expected, starts)
    assert packaged.steps[2]["starts"] == {"en": pytest.approx(third), "pt": pytest.approx(dubbed.fit.at(third))}
    own = webvtt.read(str(_stored(f"videos/{packaged.id}/subtitles/pt.vtt", tmp_path)))
    first = dubbed.fit.placed[0]
    assert _seconds(own[0].start) == pytest.approx(first.start, abs=0.01)
    assert max(_seconds(c.end) for c in own if _seconds(c.start) < dubbed.fit.placed[2].start) == pytest.approx(
        first.start + first.duration, abs=0.01), "the dub's own subtitles last as long as its speech"


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
