"""The daily video sweep covers every cached object, not only those a row names (issue 17.16).

Objects are aged by running the sweep at a later `now` (storage sets modification times
itself; S3 lets no one change them), so these tests run on local disk and S3 alike.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from contentizer import storage
from contentizer.models import StoredObject
from previews.models import Segment
from previews.render import PIECE_PREFIX, TRACK_PREFIX
from previews.speech import SPEECH_PREFIX
from previews.tts.synthesis import CACHE_PREFIX as TTS_PREFIX
from previews.videos.services import videos_expire
from tests.conftest import stored_keys, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def later(settings):
    """A sweep's `now` past the grace period of every object written by the test, within the TTL."""
    return timezone.now() + timedelta(seconds=settings.STORAGE_INCOMING_GRACE_SECONDS + 60)


def _piece(name: str, data: bytes = b"piece bytes", *, row: bool = True, recorded: bool = True) -> str:
    key = f"{PIECE_PREFIX}/{name}.mp4"
    if recorded:
        storage.publish_bytes(key=key, data=data)
    else:
        default_storage.save(key, ContentFile(data))
    if row:
        Segment.objects.create(key=name, storage_key=key, frames=3)
    return key


def test_it_sweeps_an_empty_piece_no_row_names_once_past_the_grace(later):
    _piece("empty", b"", row=False, recorded=False)  # what the hostile tester found
    assert videos_expire(now=later) == 1
    assert stored_keys("videos") == []


def test_it_keeps_a_piece_no_row_names_yet_within_the_grace():
    key = _piece("being-recorded", row=False)  # a render between publishing and its Segment row
    assert videos_expire() == 0
    assert stored_keys("videos") == [key]


def test_it_sweeps_a_piece_whose_row_has_no_ledger_record(later):
    _piece("unrecorded", recorded=False)
    Segment.objects.update(used_at=later)  # used: only that nothing vouches for its bytes removes it
    assert videos_expire(now=later) == 1
    assert stored_keys("videos") == [] and Segment.objects.count() == 0


def test_it_sweeps_a_piece_whose_stored_size_differs_from_its_record(later):
    key = _piece("cut")
    default_storage.delete(key)
    default_storage.save(key, ContentFile(b"pie"))  # cut in place after it was recorded
    Segment.objects.update(used_at=later)
    assert videos_expire(now=later) == 1
    assert stored_keys("videos") == [] and Segment.objects.count() == 0
    assert not StoredObject.objects.exists()


def test_it_keeps_a_piece_a_render_still_uses(settings, later):
    key = _piece("in-use")
    much_later = later + timedelta(seconds=settings.VIDEO_SUPERSEDED_TTL_SECONDS)
    Segment.objects.update(used_at=much_later)  # the object is older than the TTL; its last use is not
    assert videos_expire(now=much_later) == 0
    assert stored_keys("videos") == [key] and storage.trusted(key)


@pytest.mark.parametrize("prefix", [TTS_PREFIX, SPEECH_PREFIX, TRACK_PREFIX, "videos/cache/mix"])
def test_it_sweeps_cached_sound_nothing_recorded_and_keeps_what_was(prefix, later):
    recorded, stray = f"{prefix}/recorded.wav", f"{prefix}/stray.wav"
    storage.publish_bytes(key=recorded, data=b"RIFF sound")
    default_storage.save(stray, ContentFile(b"RIFF sound"))
    assert videos_expire(now=later) == 1
    assert stored_keys("videos") == [recorded]


def test_it_forgets_ledger_records_of_cached_objects_that_are_gone(later):
    key = _piece("vanished")
    default_storage.delete(key)
    videos_expire(now=later)
    assert not StoredObject.objects.filter(key=key).exists()


@pytest.mark.django_db(transaction=True)
def test_a_sweep_after_a_real_video_keeps_everything_it_cached(alice_api, alice_project, worker, later):
    from tests.previews.helpers import chapter_with_steps

    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "One", "duration": 1.0, "narration": {"en": "Open the menu."}},
        {"caption": "Two", "duration": 1.0, "transition": "dissolve", "transitionDuration": 0.4}])
    job = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"]},
                         format="json").json()["jobId"]
    status = wait_for(lambda: (s := alice_api.get(f"/api/videos/jobs/{job}/status").json())["status"]
                      not in ("queued", "running") and s, timeout=180, interval=0.3)
    assert status["status"] == "succeeded", status
    cached = stored_keys("videos/cache")
    assert {key.split("/")[2] for key in cached} >= {"segments", "tracks", "tts", "speech"}
    assert videos_expire(now=later) == 0
    assert stored_keys("videos/cache") == cached
