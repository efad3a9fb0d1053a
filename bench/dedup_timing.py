"""Does an upload's answer time tell one user what another has? New bytes against bytes another
user already stored, for a 30-minute MP3 and a 9 MB PNG, as a multipart POST and through tus.

Standalone script, not a test: `.venv/bin/python bench/dedup_timing.py [--pairs 6]` from the
repo root.

Starts ./bin/web on a fresh SQLite DATA_DIR with two users (bench.webserver). For each case it
makes `--pairs` files of bytes only the second user has (uploaded first, not timed) and as many
of bytes nobody has; every file of a case is the same media with a different label in its
metadata (an ID3 title, a PNG text chunk), so each costs the same to check. Then the first user
uploads them in pairs, in alternating order (new, known; known, new; ...) so a drift of the
machine's load weighs on both sides. Prints each pair, the medians, the spread (min–max) and the
median of the pairs' ratios known/new: 1.0 means the answer says nothing about other users.

On a loaded 2-core machine (4 pairs before, 8 after), median ratio known/new:
                       before issue 17.15   after
  MP3, multipart              0.37           1.01
  MP3, tus                    0.20           1.14
  PNG, multipart              0.48           0.99
  PNG, tus                    0.37           1.04
Before, bytes another user had were only linked (no detection, probing or storing), and known
was faster in every pair; after, known is faster in about half of them.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import statistics
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg
import requests
from PIL import Image, PngImagePlugin
from webserver import web

SLOT = b"variant-0000000000000000"  # a fixed-length label in each file's metadata


def long_mp3(minutes: int) -> bytes:
    """One minute of CBR MP3 (no Xing header, so nothing states a frame count) with its frames
    repeated: MP3 frames simply concatenate, and checking the file reads every packet."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "minute.mp3"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                        "sine=frequency=330:duration=60", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "128k",
                        "-write_xing", "0", "-metadata", f"title={SLOT.decode()}", str(out)], check=True)
        data = out.read_bytes()
    tag = 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9])  # ID3v2: a syncsafe size
    return data[:tag] + data[tag:] * minutes


def noise_png(megabytes: float) -> bytes:
    side = int((megabytes * 1e6 / 3) ** 0.5)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SLOT.decode())
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def variant(content: bytes, label: str) -> bytes:
    """The same media, other bytes: `label` in the slot (and, in a PNG, the chunk's CRC redone)."""
    at = content.index(SLOT)
    data = bytearray(content)
    data[at:at + len(SLOT)] = label.encode().ljust(len(SLOT), b"-")
    if content.startswith(b"\x89PNG"):
        start = content.rindex(b"tEXt", 0, at) - 4
        end = start + 8 + int.from_bytes(content[start:start + 4], "big")
        data[end:end + 4] = zlib.crc32(bytes(data[start + 4:end])).to_bytes(4, "big")
    return bytes(data)


def multipart(base: str, token: str, project: int, name: str, content: bytes) -> int:
    return requests.post(f"{base}/api/projects/{project}/assets", files={"file": (name, content)},
                         headers={"Authorization": f"Token {token}"}, timeout=600).status_code


def tus(base: str, token: str, project: int, name: str, content: bytes) -> int:
    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    headers = {"Authorization": f"Token {token}", "Tus-Resumable": "1.0.0"}
    created = requests.post(f"{base}/api/uploads/", timeout=60, headers={
        **headers, "Upload-Length": str(len(content)),
        "Upload-Metadata": f"filename {b64(name)},projectId {b64(str(project))}"})
    created.raise_for_status()
    return requests.patch(requests.compat.urljoin(base, created.headers["Location"]), data=content, timeout=600,
                          headers={**headers, "Upload-Offset": "0",
                                   "Content-Type": "application/offset+octet-stream"}).status_code


def timed(send: Callable[..., int], *args) -> float:
    started = time.perf_counter()
    status = send(*args)
    elapsed = time.perf_counter() - started
    if status not in (201, 204):
        raise SystemExit(f"an upload answered {status}")
    return elapsed


def run_case(label: str, content: bytes, send, base: str, alice: tuple[str, int], bob: tuple[str, int],
             pairs: int) -> None:
    ext = "png" if content.startswith(b"\x89PNG") else "mp3"
    stamp = f"{time.monotonic_ns() % 10**9}"
    known = [variant(content, f"k{stamp}-{i}") for i in range(pairs)]
    for i, data in enumerate(known):
        timed(send, base, *bob, f"bob-{i}.{ext}", data)
    news, knowns = [], []
    for i in range(pairs):
        new = variant(content, f"n{stamp}-{i}")
        order = [("new", new), ("known", known[i])] if i % 2 == 0 else [("known", known[i]), ("new", new)]
        took = {side: timed(send, base, *alice, f"{side}-{i}.{ext}", data) for side, data in order}
        news.append(took["new"])
        knowns.append(took["known"])
        print(f"  pair {i + 1}: new {took['new']:.3f}s  known {took['known']:.3f}s  "
              f"ratio {took['known'] / took['new']:.2f}")
    ratios = [k / n for k, n in zip(knowns, news, strict=True)]
    print(f"{label}: {pairs} pairs, new median {statistics.median(news):.3f}s "
          f"(spread {min(news):.3f}–{max(news):.3f}), known median {statistics.median(knowns):.3f}s "
          f"(spread {min(knowns):.3f}–{max(knowns):.3f}), median ratio known/new "
          f"{statistics.median(ratios):.2f} (spread {min(ratios):.2f}–{max(ratios):.2f}), "
          f"known faster in {sum(r < 1 for r in ratios)} of {pairs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=6)
    args = parser.parse_args()
    cases = {"30-minute MP3": long_mp3(30), "9 MB PNG": noise_png(9)}
    for label, content in cases.items():
        print(f"{label}: {len(content)} bytes")
    with web(users=2) as (base, accounts):
        people = []
        for account in accounts:
            listed = requests.get(f"{base}/api/projects", headers={"Authorization": f"Token {account['token']}"},
                                  timeout=60).json()
            people.append((account["token"], listed["results"][0]["id"]))
        for label, content in cases.items():
            for transport, send in (("multipart", multipart), ("tus", tus)):
                run_case(f"{label}, {transport}", content, send, base, people[0], people[1], args.pairs)


if __name__ == "__main__":
    main()
