# Sourced by bin/start, bin/web and bin/test: make .venv and install $REQUIREMENTS when it changed.
#   REQUIREMENTS=requirements.txt       what production runs (bin/start, bin/web)
#   REQUIREMENTS=requirements-test.txt  that and the tests' packages (bin/test)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"
REQUIREMENTS="${REQUIREMENTS:?set by the script that sources this}"

"$PYTHON_BIN" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Contentizer needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating virtualenv in $VENV" >&2
  "$PYTHON_BIN" -m venv "$VENV"
fi
# One marker a requirements file, holding the hash of it and the files it includes: a change to
# requirements.txt reinstalls for both scripts, and bin/start and bin/test sharing a venv do not
# make each other reinstall (installing requirements-test.txt also satisfies requirements.txt).
hashes="$("$VENV/bin/python" bin/_requirements.py "$REQUIREMENTS")"
want="$(echo "$hashes" | head -n 1 | cut -d ' ' -f 2)"
if [ "$(cat "$VENV/.$(basename "$REQUIREMENTS").sha256" 2>/dev/null || true)" != "$want" ]; then
  echo "Installing $REQUIREMENTS (first run takes a minute)" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  echo "$hashes" | while read -r name hash; do echo "$hash" > "$VENV/.$name.sha256"; done
fi
PY="$VENV/bin/python"
