"""Narration text as it should be said: numbers, units, versions, dates, percentages, keyboard
shortcuts and common abbreviations written out in words, before any engine sees the text.

Number words come from num2words (many languages); the product's own small rules sit on top, with
tables for English, German, French and Spanish. Other languages get their numbers read by num2words
when it knows the language and are otherwise left to the engine. Subtitles never see this text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from num2words import num2words

logger = logging.getLogger(__name__)

VERSION = "1"  # part of every speech cache key: a change to these rules re-synthesises narration

# decimal separator, thousands separator
_SEPARATORS = {"en": (".", ","), "de": (",", "."), "fr": (",", "\u202f"), "es": (",", "."), "pt": (",", "."),
               "it": (",", "."), "nl": (",", ".")}

_DECIMAL_WORD = {"en": "point", "de": "Komma", "fr": "virgule", "es": "coma", "pt": "vírgula", "it": "virgola",
                 "nl": "komma"}

_WORDS = {
    "en": {"percent": "percent", "version": "version", "point": "point", "and": "and"},
    "de": {"percent": "Prozent", "version": "Version", "point": "Punkt", "and": "und"},
    "fr": {"percent": "pour cent", "version": "version", "point": "point", "and": "et"},
    "es": {"percent": "por ciento", "version": "versión", "point": "punto", "and": "y"},
}

# unit → (singular, plural) per language
_UNITS = {
    "en": {"B": ("byte", "bytes"), "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"),
           "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
           "KiB": ("kibibyte", "kibibytes"), "MiB": ("mebibyte", "mebibytes"), "GiB": ("gibibyte", "gibibytes"),
           "ms": ("millisecond", "milliseconds"), "s": ("second", "seconds"), "sec": ("second", "seconds"),
           "min": ("minute", "minutes"), "h": ("hour", "hours"), "px": ("pixel", "pixels"),
           "fps": ("frame per second", "frames per second"), "Hz": ("hertz", "hertz"),
           "kHz": ("kilohertz", "kilohertz"),
           "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"),
           "kbps": ("kilobit per second", "kilobits per second"), "Mbps": ("megabit per second", "megabits per second"),
           "km": ("kilometre", "kilometres"), "kg": ("kilogram", "kilograms"), "cm": ("centimetre", "centimetres"),
           "mm": ("millimetre", "millimetres"), "°C": ("degree Celsius", "degrees Celsius"),
           "°F": ("degree Fahrenheit", "degrees Fahrenheit")},
    "de": {"B": ("Byte", "Byte"), "KB": ("Kilobyte", "Kilobyte"), "kB": ("Kilobyte", "Kilobyte"),
           "MB": ("Megabyte", "Megabyte"), "GB": ("Gigabyte", "Gigabyte"), "TB": ("Terabyte", "Terabyte"),
           "ms": ("Millisekunde", "Millisekunden"), "s": ("Sekunde", "Sekunden"), "Sek": ("Sekunde", "Sekunden"),
           "min": ("Minute", "Minuten"), "Min": ("Minute", "Minuten"), "h": ("Stunde", "Stunden"),
           "Std": ("Stunde", "Stunden"), "px": ("Pixel", "Pixel"), "fps": ("Bild pro Sekunde", "Bilder pro Sekunde"),
           "Hz": ("Hertz", "Hertz"), "GHz": ("Gigahertz", "Gigahertz"), "MHz": ("Megahertz", "Megahertz"),
           "km": ("Kilometer", "Kilometer"), "kg": ("Kilogramm", "Kilogramm"), "cm": ("Zentimeter", "Zentimeter"),
           "mm": ("Millimeter", "Millimeter"), "°C": ("Grad Celsius", "Grad Celsius")},
    "fr": {"Ko": ("kilooctet", "kilooctets"), "Mo": ("mégaoctet", "mégaoctets"), "Go": ("gigaoctet", "gigaoctets"),
           "KB": ("kilooctet", "kilooctets"), "MB": ("mégaoctet", "mégaoctets"), "GB": ("gigaoctet", "gigaoctets"),
           "ms": ("milliseconde", "millisecondes"), "s": ("seconde", "secondes"), "min": ("minute", "minutes"),
           "h": ("heure", "heures"), "px": ("pixel", "pixels"), "km": ("kilomètre", "kilomètres"),
           "kg": ("kilogramme", "kilogrammes"), "°C": ("degré Celsius", "degrés Celsius")},
    "es": {"KB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"),
           "ms": ("milisegundo", "milisegundos"), "s": ("segundo", "segundos"), "min": ("minuto", "minutos"),
           "h": ("hora", "horas"), "px": ("píxel", "píxeles"), "km": ("kilómetro", "kilómetros"),
           "kg": ("kilogramo", "kilogramos"), "°C": ("grado Celsius", "grados Celsius")},
}

_KEYS = {
    "en": {"ctrl": "control", "control": "control", "cmd": "command", "command": "command", "alt": "alt",
           "option": "option", "opt": "option", "shift": "shift", "win": "windows", "meta": "meta", "fn": "function",
           "esc": "escape", "del": "delete", "ins": "insert", "enter": "enter", "return": "return", "tab": "tab",
           "space": "space", "pgup": "page up", "pgdn": "page down", "home": "home", "end": "end",
           "backspace": "backspace", "up": "up", "down": "down", "left": "left", "right": "right"},
    "de": {"strg": "Steuerung", "ctrl": "Steuerung", "cmd": "Befehl", "alt": "Alt", "shift": "Umschalt",
           "umschalt": "Umschalt", "win": "Windows", "esc": "Escape", "entf": "Entfernen", "del": "Entfernen",
           "enter": "Eingabe", "eingabe": "Eingabe", "tab": "Tabulator", "leertaste": "Leertaste",
           "space": "Leertaste"},
    "fr": {"ctrl": "contrôle", "cmd": "commande", "alt": "alt", "maj": "majuscule", "shift": "majuscule",
           "esc": "échap", "échap": "échap", "suppr": "suppr", "entrée": "entrée", "enter": "entrée", "tab": "tab"},
    "es": {"ctrl": "control", "cmd": "comando", "alt": "alt", "mayús": "mayúsculas", "shift": "mayúsculas",
           "esc": "escape", "supr": "suprimir", "intro": "intro", "enter": "intro", "tab": "tabulador"},
}
_MODIFIERS = ("ctrl", "control", "strg", "cmd", "command", "alt", "option", "opt", "shift", "umschalt", "maj",
              "mayús", "win", "meta", "fn")

_ABBREVIATIONS = {
    "en": {"e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus", "approx.": "approximately",
           "incl.": "including", "w/": "with"},
    "de": {"z. B.": "zum Beispiel", "z.B.": "zum Beispiel", "d. h.": "das heißt", "d.h.": "das heißt",
           "usw.": "und so weiter", "bzw.": "beziehungsweise", "ca.": "circa", "ggf.": "gegebenenfalls",
           "inkl.": "inklusive", "evtl.": "eventuell"},
    "fr": {"p. ex.": "par exemple", "etc.": "et cetera", "c.-à-d.": "c'est-à-dire"},
    "es": {"p. ej.": "por ejemplo", "etc.": "etcétera", "aprox.": "aproximadamente"},
}

_MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
}


def _primary(language: str) -> str:
    return language.split("-")[0].lower()


def _speaks_numbers(lang: str) -> bool:
    try:
        num2words(1, lang=lang)
    except NotImplementedError:
        return False
    return True


class _Reader:
    """The rules for one language, applied in an order where each one sees text the earlier ones left."""

    def __init__(self, language: str) -> None:
        self.lang = _primary(language)
        self.numbers = _speaks_numbers(self.lang)
        self.words = _WORDS.get(self.lang, _WORDS["en"])
        decimal, thousands = _SEPARATORS.get(self.lang, (".", ","))
        self.decimal = decimal
        self.number = (rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+(?:{re.escape(decimal)}\d+)?"
                       rf"|\d+(?:{re.escape(decimal)}\d+)?)")
        self.thousands = thousands

    def say(self, text: str) -> str:
        rules: list[Callable[[str], str]] = [self.abbreviations, self.shortcuts]
        if self.numbers:
            rules += [self.dates, self.versions, self.percent, self.units, self.ordinals, self.plain_numbers]
        for rule in rules:
            text = rule(text)
        return re.sub(r"[ \t]{2,}", " ", text).strip()

    # --- words for numbers ---------------------------------------------------------------------

    def value(self, written: str) -> float | int:
        plain = written.replace(self.thousands, "").replace(self.decimal, ".")
        return float(plain) if "." in plain else int(plain)

    def cardinal(self, written: str) -> str:
        value = self.value(written)
        if isinstance(value, float):  # digits after the point one by one, as people read them
            whole, _, fraction = written.replace(self.thousands, "").partition(self.decimal)
            digits = " ".join(num2words(int(d), lang=self.lang) for d in fraction)
            return f"{num2words(int(whole), lang=self.lang)} {self._point()} {digits}"
        return num2words(value, lang=self.lang).replace(",", "")  # "one thousand, five hundred": no pause

    def _point(self) -> str:
        """The word for the decimal separator: "point" in English, "Komma" in German, …"""
        return _DECIMAL_WORD.get(self.lang, "point")

    # --- rules ------------------------------------------------------------------------------------

    def abbreviations(self, text: str) -> str:
        for written, spoken in sorted(_ABBREVIATIONS.get(self.lang, {}).items(), key=lambda kv: -len(kv[0])):
            text = re.sub(rf"(?<!\w){re.escape(written)}(?!\w)", spoken, text)
        return text.replace(" & ", f" {self.words['and']} ")

    def shortcuts(self, text: str) -> str:
        keys = {**_KEYS["en"], **_KEYS.get(self.lang, {})}
        modifier = "|".join(sorted(_MODIFIERS, key=len, reverse=True))
        pattern = rf"(?<![\w+])(?:{modifier})(?:\s*[+-]\s*(?:[A-Za-z]\w*|\d+|[^\s\w]))+(?![\w+])"

        def spoken(match: re.Match) -> str:
            parts = [p.strip() for p in re.split(r"\s*[+-]\s*(?=.)", match.group(0)) if p.strip()]
            return " ".join(self._key(part, keys) for part in parts)

        text = re.sub(pattern, spoken, text, flags=re.IGNORECASE)
        if not self.numbers:
            return text
        return re.sub(r"(?<![\w+])F(\d{1,2})\b", lambda m: f"F {num2words(int(m.group(1)), lang=self.lang)}", text)

    def _key(self, part: str, keys: dict[str, str]) -> str:
        if part.lower() in keys:
            return keys[part.lower()]
        if re.fullmatch(r"[Ff]\d{1,2}", part) and self.numbers:  # function keys: "F five"
            return f"F {num2words(int(part[1:]), lang=self.lang)}"
        if part.isdigit() and self.numbers:
            return num2words(int(part), lang=self.lang)
        return part.upper() if len(part) == 1 else part

    def dates(self, text: str) -> str:
        months = _MONTHS.get(self.lang)
        if not months:
            return text

        def iso(match: re.Match) -> str:
            year, month, day = (int(g) for g in match.groups())
            if not 1 <= month <= 12 or not 1 <= day <= 31:
                return match.group(0)
            return self._date(year, months[month - 1], day)

        text = re.sub(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])", iso, text)
        if self.lang == "en":  # "March 5, 2024" / "March 5th"
            names = "|".join(months)
            text = re.sub(rf"\b({names}) (\d{{1,2}})(?:st|nd|rd|th)?(?:, (\d{{4}}))?\b",
                          lambda m: self._date(int(m.group(3)) if m.group(3) else None, m.group(1), int(m.group(2))),
                          text)
        return text

    def _date(self, year: int | None, month: str, day: int) -> str:
        if self.lang == "en":
            said = f"{month} {num2words(day, lang='en', to='ordinal')}"
            return f"{said}, {num2words(year, lang='en', to='year')}" if year else said
        if self.lang == "de":
            return f"{num2words(day, lang='de', to='ordinal')}r {month} {num2words(year, lang='de')}"
        if self.lang == "fr":
            first = "premier" if day == 1 else num2words(day, lang="fr")
            return f"{first} {month} {num2words(year, lang='fr')}"
        return f"{num2words(day, lang='es')} de {month} de {num2words(year, lang='es')}"

    def versions(self, text: str) -> str:
        """"v2", "v2.1" and dotted numbers with two or more dots ("2.1.3"), read part by part."""
        def spoken(match: re.Match) -> str:
            parts = (match.group("tagged") or match.group("dotted")).split(".")
            numbers = f" {self.words['point']} ".join(num2words(int(p), lang=self.lang) for p in parts)
            return f"{self.words['version']} {numbers}" if match.group("tagged") else numbers

        return re.sub(r"(?<![\w.])(?:[vV](?P<tagged>\d+(?:\.\d+)*)|(?P<dotted>\d+(?:\.\d+){2,}))(?!\w|\.\d)",
                      spoken, text)

    def percent(self, text: str) -> str:
        return re.sub(rf"(?<![\w.,])({self.number})\s?%", lambda m: f"{self.cardinal(m.group(1))} "
                      f"{self.words['percent']}", text)

    def units(self, text: str) -> str:
        units = _UNITS.get(self.lang, {})
        if not units:
            return text
        names = "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))

        def spoken(match: re.Match) -> str:
            singular, plural = units[match.group(2)]
            return f"{self.cardinal(match.group(1))} {singular if self.value(match.group(1)) == 1 else plural}"

        return re.sub(rf"(?<![\w.,])({self.number})\s?({names})(?![\w°])", spoken, text)

    def ordinals(self, text: str) -> str:
        if self.lang != "en":
            return text
        return re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: num2words(int(m.group(1)), lang="en", to="ordinal"), text)

    def plain_numbers(self, text: str) -> str:
        def spoken(match: re.Match) -> str:
            written = match.group(0)
            if self.lang == "en" and re.fullmatch(r"1[1-9]\d\d|20\d\d", written):  # years read as years
                return num2words(int(written), lang="en", to="year")
            return self.cardinal(written)

        return re.sub(rf"(?<![\w.,]){self.number}(?![\w]|[.,]\d)", spoken, text)


def normalize(text: str, language: str) -> str:
    """The text as the narrator should say it in this language (BCP 47 tag)."""
    return _Reader(language).say(text)
