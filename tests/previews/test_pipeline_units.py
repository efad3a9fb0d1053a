"""Video pieces on their own: timing from speech, cues, playlists, language tags, stage keys."""

from __future__ import annotations

import m3u8

from contentizer.jobs.stages import output_keys
from contentizer.languages import iso639_2
from previews import subtitles
from previews.timeline import Speech, Timeline
from previews.videos import packaging
from previews.videos.stages import PAUSE


def _timeline(scenes: list[tuple[float, str, float]]) -> Timeline:
    return Timeline.parse({"version": 1, "output": {"width": 64, "height": 64, "fps": 30},
                           "audio": {"languages": ["en", "de"]},
                           "scenes": [{"type": "title", "duration": d, "transition": {"type": t, "duration": s}}
                                      for d, t, s in scenes]})


def _said(*seconds_by_lang) -> tuple[Speech, ...]:
    return tuple(Speech(language=lang, clip="a" * 64, seconds=s) for lang, s in seconds_by_lang if s)


def test_a_scene_lasts_at_least_its_longest_narration_plus_a_pause():
    timeline = _timeline([(2, "cut", 0), (2, "cut", 0), (2, "cut", 0)])
    narrated = timeline.narrated([_said(("en", 3.0), ("de", 3.5)), _said(("de", 1.0)), _said(("en", 1.0))],
                                 pause=PAUSE, gains={})
    assert [s.duration for s in narrated.scenes] == [3.5 + PAUSE, 2, 2]
    assert narrated.starts() == [0, 4.1, 6.1]


def test_transitions_overlap_scenes_and_fit_inside_them():
    timeline = Timeline.parse({"version": 1, "output": {"width": 64, "height": 64, "fps": 30}, "scenes": [
        {"type": "title", "duration": 1, "transition": {"type": "dissolve", "duration": 0.5}},
        {"type": "title", "duration": 1.2, "transition": {"type": "fade", "duration": 0.4}},
        {"type": "title", "duration": 2}]})
    narrated = timeline.narrated([(), (), ()], pause=PAUSE, gains={})
    assert narrated.scenes[1].transition.type == "fadeblack", "fade is the old name of fadeblack"
    assert narrated.starts() == [0, 0.5, round(0.5 + 1.2 - 0.4, 6)]


def test_cues_split_long_narration_and_share_its_time():
    text = "Click the Save button at the top right of the window to keep your changes safe for later use."
    cues = subtitles.cues_for(text, 1.0, 6.0)
    assert len(cues) == 2 and cues[0].start == 1.0 and cues[-1].end == 6.0
    assert all(len(line) <= subtitles.MAX_LINE for cue in cues for line in cue.text.splitlines())
    assert all(len(cue.text.splitlines()) <= subtitles.MAX_LINES for cue in cues)
    assert subtitles.cues_for("   ", 0, 1) == []


def test_the_master_playlist_declares_every_rendition_with_its_channels():
    text = packaging.master_playlist(
        video=packaging.Rendition("video/index.m3u8", peak=900_000, average=400_000),
        audio=[packaging.Rendition("audio_pt-BR/index.m3u8", peak=70_000, average=65_000, language="pt-BR",
                                   channels=2)],
        subtitles=[packaging.Rendition(f"subs_{lang}/index.m3u8", peak=p, average=p, language=lang)
                   for lang, p in (("en", 100), ("pt-BR", 120))],
        codecs=["avc1.64001f", "mp4a.40.2"], width=1280, height=720, fps=30, default_subtitles="pt-BR")
    master = m3u8.loads(text)
    audio = [m for m in master.media if m.type == "AUDIO"]
    subs = [m for m in master.media if m.type == "SUBTITLES"]
    assert [(m.language, m.name, m.default, m.channels) for m in audio] == [
        ("pt-BR", "Portuguese (Brazil)", "YES", "2")]
    assert [(m.uri, m.default) for m in subs] == [("subs_en/index.m3u8", "NO"), ("subs_pt-BR/index.m3u8", "YES")]
    info = master.playlists[0].stream_info
    assert info.audio == "aud" and info.subtitles == "subs" and info.codecs == "avc1.64001f,mp4a.40.2"
    assert (info.bandwidth, info.average_bandwidth) == (900_000 + 70_000 + 120, 400_000 + 65_000 + 120)
    assert info.frame_rate == 30 and info.resolution == (1280, 720)


def test_subtitle_playlists_cover_the_whole_video():
    playlist = m3u8.loads(packaging.subtitle_playlist(31.25))
    assert playlist.is_endlist and playlist.target_duration == 32
    assert [(s.uri, s.duration) for s in playlist.segments] == [("subtitles.vtt", 31.25)]


def test_language_tags_become_three_letter_codes_for_mp4():
    assert [iso639_2(t) for t in ("en", "de", "pt-BR", "tlh", "zz")] == ["eng", "deu", "por", "tlh", "und"]


def test_storage_keys_are_found_anywhere_in_stage_outputs():
    outputs = {"subtitles": {"en": {"vttKey": "a.vtt", "srtKey": "a.srt"}}, "voices": {"en": [{"key": "v.wav"}, None]},
               "videoKey": "video.mp4", "duration": 3.0}
    assert sorted(output_keys(outputs)) == ["a.srt", "a.vtt", "v.wav", "video.mp4"]
