"""Print `<file name> <sha256>` for a requirements file and for each file it includes (`-r`).

A file's hash covers its own bytes and those of every file it includes, so a change to
requirements.txt changes the hash of requirements-test.txt too. bin/_bootstrap.sh keeps one
marker per file in the virtualenv and reinstalls when the installed file's hash changed.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path


def included(path: Path) -> list[Path]:
    """The files `path` includes, in order, each once."""
    found: list[Path] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if len(words) > 1 and words[0] in ("-r", "--requirement"):
            child = (path.parent / words[1]).resolve()
            found += [p for p in [child, *included(child)] if p not in found]
    return found


def digest(path: Path) -> str:
    sha = hashlib.sha256(path.read_bytes())
    for child in included(path):
        sha.update(child.read_bytes())
    return sha.hexdigest()


if __name__ == "__main__":
    top = Path(sys.argv[1]).resolve()
    for path in [top, *included(top)]:
        sys.stdout.write(f"{path.name} {digest(path)}\n")
