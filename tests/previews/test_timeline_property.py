"""Any timeline that validates renders: short random timelines, rendered for real (tiny frames,
few examples), must have exactly the timeline's frames and duration, in one process or in
cached chunks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contentizer import transitions
from contentizer.jobs.runner import JobContext
from contentizer.media import probe
from previews.render import Output, render
from previews.timeline import Timeline


@st.composite
def timelines(draw) -> Timeline:
    count = draw(st.integers(min_value=1, max_value=5))
    kinds = [draw(st.sampled_from(transitions.accepted())) if i < count - 1 else "cut" for i in range(count)]
    lengths = [draw(st.sampled_from([0.1, 0.25, 0.4])) if kind != "cut" else 0.0 for kind in kinds]
    scenes = []
    for i, kind in enumerate(kinds):
        fits = (lengths[i - 1] if i else 0.0) + lengths[i] + 0.1
        duration = round(max(fits, draw(st.floats(min_value=0.2, max_value=1.5))), 2)
        scene = {"type": "color", "color": draw(st.sampled_from(["#102030", "#c04020", "#20a060"])),
                 "duration": duration, "caption": draw(st.sampled_from(["", "Hi", "A longer caption here"]))}
        if kind != "cut":
            scene["transition"] = {"type": kind, "duration": lengths[i]}
        scenes.append(scene)
    fps = draw(st.sampled_from([10, 12, 25]))
    quality = draw(st.sampled_from(["preview", "final"]))  # final: x264 veryfast, with B-frames
    return Timeline.parse({"version": 1, "output": {"width": 64, "height": 64, "fps": fps, "quality": quality},
                           "scenes": scenes})


@pytest.mark.django_db
@hypothesis_settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timeline=timelines(), shape=st.sampled_from(["single", "chunks", "segments"]))
def test_any_valid_timeline_renders_to_its_frames_and_duration(timeline, shape, isolated_storage):
    """In one process (a short preview), in chunks of scenes (a long one) or one piece per
    segment (a video, where a transition may be a piece of one frame)."""
    note(f"timeline: {timeline.to_dict()}")
    work = Path(tempfile.mkdtemp(dir=isolated_storage))
    out = work / "out.mp4"
    with override_settings(RENDER_CHUNK_SCENES=2):
        [report] = render(JobContext(job=None, work_dir=work), [(timeline, Output(path=out, piecing=shape))],
                          labels=[], timeout=120)
    assert report.frames == timeline.frames() and report.duration == pytest.approx(timeline.duration, abs=0.1)
    assert probe.count_frames(str(out), demuxer="mp4") == timeline.frames()
    info = probe.probe(str(out), demuxer="mp4", max_streams=4)
    assert [s.type for s in info.streams] == ["video", "audio"]
    assert abs(info.duration - timeline.duration) <= 1 / timeline.output.fps + 0.025
