"""What the narrator is given to say: the text normaliser and the project lexicon (unit tests)."""

from __future__ import annotations

import pytest

from previews.tts import lexicon, normalize, spoken_text


@pytest.mark.parametrize(("written", "said"), [
    ("The file is 15 MB.", "The file is fifteen megabytes."),
    ("Only 1 MB left", "Only one megabyte left"),
    ("Press Ctrl+S to save.", "Press control S to save."),
    ("Use Ctrl+Shift+P, then F5.", "Use control shift P, then F five."),
    ("Press Cmd-Option-Esc", "Press command option escape"),
    ("Update to v2.1 today.", "Update to version two point one today."),
    ("Version 2.10.3 is out", "Version two point ten point three is out"),
    ("Wait 3.5 s.", "Wait three point five seconds."),
    ("It loads in 250 ms", "It loads in two hundred and fifty milliseconds"),
    ("It is 50% done.", "It is fifty percent done."),
    ("Released on 2024-03-05.", "Released on March fifth, twenty twenty-four."),
    ("Since March 5, 2024", "Since March fifth, twenty twenty-four"),
    ("1,500 files e.g. the 3rd one & more", "one thousand five hundred files for example the third one and more"),
    ("A 1920 px wide 4K screen", "A one thousand nine hundred and twenty pixels wide 4K screen"),
])
def test_english_narration_is_read_naturally(written, said):
    assert normalize(written, "en") == said


@pytest.mark.parametrize(("language", "written", "said"), [
    ("de", "Die Datei hat 15 MB und lädt in 3,5 s.",
     "Die Datei hat fünfzehn Megabyte und lädt in drei Komma fünf Sekunden."),
    ("de", "Drücken Sie Strg+S, z. B. zu 50 %.", "Drücken Sie Steuerung S, zum Beispiel zu fünfzig Prozent."),
    ("de-AT", "Seit v2.1", "Seit Version zwei Punkt eins"),
    ("fr", "Le fichier fait 15 Mo.", "Le fichier fait quinze mégaoctets."),
    ("es", "Pulse Ctrl+S: 2 MB.", "Pulse control S: dos megabytes."),
])
def test_other_languages_use_their_own_words_and_separators(language, written, said):
    assert normalize(written, language) == said


def test_a_language_num2words_does_not_know_is_left_to_the_engine():
    assert normalize("Qapla' 15", "tlh") == "Qapla' 15"


def test_words_containing_digits_and_plain_text_are_untouched():
    assert normalize("Open the H264 settings in Windows 11", "en") == "Open the H264 settings in Windows eleven"
    assert normalize("Click Save, then Close.", "en") == "Click Save, then Close."


def test_the_lexicon_replaces_whole_words_longest_first_and_reports_what_it_used():
    entries = [("Contentizer", "content-eyes-er"), ("Contentizer Pro", "content-eyes-er pro"), ("SQL", "sequel"),
               ("unused", "never")]
    text, used = lexicon.apply("Contentizer Pro speaks SQL, not sql; Contentizers stay.", entries)
    assert text == "content-eyes-er pro speaks sequel, not sql; Contentizers stay."
    assert used == [("Contentizer Pro", "content-eyes-er pro"), ("SQL", "sequel")]


def test_symbols_in_written_forms_are_matched_literally():
    assert lexicon.apply("Learn C++ and C#.", [("C++", "C plus plus"), ("C#", "C sharp")])[0] == \
        "Learn C plus plus and C sharp."


def test_the_lexicon_runs_before_the_normaliser():
    spoken, used = spoken_text(text="Contentizer v2 needs 2 GB.", language="en",
                               entries=[("Contentizer", "Contentizer version one"), ("GB", "gigs")])
    assert spoken == "Contentizer version one version two needs two gigs." and len(used) == 2
