"""Pipeline pieces on their own: timing from narration, cues, playlists, language tags, stage reuse keys."""

from __future__ import annotations

import m3u8

from previews import pipeline, subtitles


def _pipeline_with(steps: list[dict], voices: dict) -> pipeline.Pipeline:
    p = pipeline.Pipeline.__new__(pipeline.Pipeline)
    p.outputs = {"plan": {"steps": steps}, "narrate": {"voices": voices}}
    return p


def _step(duration: float, transition: str = "cut", seconds: float = 0.5) -> dict:
    return {"duration": duration, "transition": transition, "transitionDuration": seconds}


def test_a_scene_lasts_at_least_its_longest_narration_plus_a_pause():
    p = _pipeline_with([_step(2), _step(2), _step(2)], {
        "en": [{"seconds": 3.0}, None, {"seconds": 1.0}],
        "de": [{"seconds": 3.5}, {"seconds": 1.0}, None],
    })
    durations, starts = p.timing()
    assert durations == [3.5 + pipeline.PAUSE, 2, 2]
    assert starts == [0, 4.1, 6.1]


def test_transitions_overlap_scenes_and_fit_inside_them():
    p = _pipeline_with([_step(1, "dissolve", 0.5), _step(0.3, "fade", 0.4), _step(2)], {"en": [None, None, None]})
    durations, starts = p.timing()
    assert durations[1] == round(0.5 + 0.4 + 0.2, 3), "long enough for both of its transitions"
    assert starts == [0, 0.5, round(0.5 + durations[1] - 0.4, 3)]


def test_cues_split_long_narration_and_share_its_time():
    text = "Click the Save button at the top right of the window to keep your changes safe for later use."
    cues = subtitles.cues_for(text, 1.0, 6.0)
    assert len(cues) == 2 and cues[0].start == 1.0 and cues[-1].end == 6.0
    assert all(len(line) <= subtitles.MAX_LINE for cue in cues for line in cue.text.splitlines())
    assert all(len(cue.text.splitlines()) <= subtitles.MAX_LINES for cue in cues)
    assert subtitles.cues_for("   ", 0, 1) == []


def test_the_master_playlist_declares_every_rendition():
    text = pipeline._master_playlist({"width": 1280, "height": 720}, ["en", "pt-BR"], ["en", "pt-BR"])
    master = m3u8.loads(text)
    audio = [m for m in master.media if m.type == "AUDIO"]
    subs = [m for m in master.media if m.type == "SUBTITLES"]
    assert [(m.language, m.name, m.default) for m in audio] == [("en", "English", "YES"), ("pt-BR", "Portuguese", "NO")]
    assert [m.uri for m in subs] == ["subs_en/index.m3u8", "subs_pt-BR/index.m3u8"]
    assert master.playlists[0].stream_info.audio == "aud" and master.playlists[0].stream_info.subtitles == "subs"


def test_subtitle_playlists_cover_the_whole_video():
    playlist = m3u8.loads(pipeline._subtitle_playlist(31.25))
    assert playlist.is_endlist and playlist.target_duration == 32
    assert [(s.uri, s.duration) for s in playlist.segments] == [("subtitles.vtt", 31.25)]


def test_language_tags_become_three_letter_codes_for_mp4():
    assert [pipeline.iso639_2(t) for t in ("en", "de", "pt-BR", "tlh", "zz")] == ["eng", "deu", "por", "tlh", "und"]


def test_storage_keys_are_found_anywhere_in_stage_outputs():
    outputs = {"subtitles": {"en": {"vttKey": "a.vtt", "srtKey": "a.srt"}}, "voices": {"en": [{"key": "v.wav"}, None]},
               "videoKey": "video.mp4", "duration": 3.0}
    assert sorted(pipeline._keys(outputs)) == ["a.srt", "a.vtt", "v.wav", "video.mp4"]
