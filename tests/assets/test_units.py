"""Unit tests of hashing, storage keys, type detection and display-name cleaning."""

from __future__ import annotations

import hashlib
import io

import pytest

from assets import hashing, sniffing
from assets.uploads import clean_display_name
from tests import media


def test_it_hashes_a_stream_in_chunks():
    data = b"x" * (hashing.CHUNK_SIZE * 2 + 7)
    assert hashing.sha256_stream(io.BytesIO(data)) == (hashlib.sha256(data).hexdigest(), len(data))


def test_it_fans_blob_keys_out_by_hash():
    sha = hashlib.sha256(b"a").hexdigest()
    assert hashing.blob_key(sha, "png") == f"assets/{sha[:2]}/{sha[2:4]}/{sha}.png"
    assert hashing.thumbnail_key(sha) == f"thumbs/{sha[:2]}/{sha[2:4]}/{sha}.webp"


@pytest.mark.parametrize(("sha", "ext"), [("../../etc/passwd", "png"), ("A" * 64, "png"), ("a" * 64, "p/g")])
def test_it_refuses_keys_not_made_of_a_hash_and_a_plain_extension(sha, ext):
    with pytest.raises(ValueError):
        hashing.blob_key(sha, ext)


@pytest.mark.parametrize(
    ("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_it_sniffs_images(fmt, ext):
    assert sniffing.sniff(media.image_bytes(fmt)[: sniffing.SNIFF_BYTES]).ext == ext


@pytest.mark.parametrize(
    ("name", "ext", "kind"),
    [("tone.wav", "wav", "audio"), ("tone.mp3", "mp3", "audio"), ("tone.m4a", "m4a", "audio"),
     ("tone.aac", "aac", "audio"), ("tone.ogg", "ogg", "audio"), ("tone.flac", "flac", "audio"),
     ("clip.mp4", "mp4", "video"), ("clip.webm", "webm", "video"), ("clip.mov", "mov", "video")],
)
def test_it_sniffs_audio_and_video(av_dir, name, ext, kind):
    detected = sniffing.sniff((av_dir / name).read_bytes()[: sniffing.SNIFF_BYTES])
    assert (detected.ext, detected.kind) == (ext, kind)


@pytest.mark.parametrize(
    ("head", "mime", "accepted"),
    [
        (media.SRT.encode(), "application/x-subrip", True),
        ("\ufeff".encode() + media.SRT.encode(), "application/x-subrip", True),
        (media.VTT.encode(), "text/vtt", True),
        (b"1\n00:00:00,000 --> 00:00:01,000\nfile 'x'\n", "application/x-subrip", True),
        (b"  <!doctype html><p>hi", "text/html", False),
        (b"<svg/>", "image/svg+xml", False),
        (b"#EXTM3U\n", "application/vnd.apple.mpegurl", False),
        (b"WEBVTT\n#EXTINF:1,\nhttp://x/y.ts", "audio/x-mpegurl", False),
        (b"ffconcat version 1.0\n", "text/x-ffconcat", False),
        (b"[playlist]\nFile1=http://x\n", "audio/x-scpls", False),
        (b"hello", "text/plain", False),
        (b"\x00\x01\x02garbage", "application/octet-stream", False),
    ],
)
def test_it_sniffs_text_formats(head, mime, accepted):
    detected = sniffing.sniff(head)
    assert (detected.mime, detected.accepted) == (mime, accepted)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("photo.png", "photo.png"),
        ("\u202egnp.exe", "gnp.exe"),
        ("tab\tand\nnewline.png", "tab and newline.png"),
        ("..", "upload"),
        ("", "upload"),
        ("Cafe\u0301.png", "Café.png"),
    ],
)
def test_it_cleans_display_names(raw, clean):
    assert clean_display_name(raw) == clean


def test_it_truncates_long_names_keeping_the_extension():
    cleaned = clean_display_name("a" * 400 + ".webm")
    assert len(cleaned) == 255 and cleaned.endswith(".webm")
