"""The speech engines: eSpeak NG (every language, the fallback), hibari (a neural English voice inside
its PyPI wheel) and Piper (neural voices an operator copies into TTS_VOICES_DIR).

Each engine finds its voices (`discover()`, with a problem named for each one it cannot use) and
writes mono 16-bit WAV speech for one of them (`synthesize()`). Nothing here downloads anything:
hibari is given its bundled model path (its own loader would fetch other voices from the network),
and Piper voices are only the files an operator put on disk.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import logging
import re
import threading
import unicodedata
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


class UnsupportedLanguage(Exception):
    """No usable voice speaks this language; the message names it."""


@dataclass(frozen=True)
class StoredFile:
    """A voice file kept in the shared storage (an uploaded voice's model or config), copied to
    `local` on each machine before the voice speaks."""

    key: str
    sha256: str
    size: int
    local: str


@dataclass(frozen=True)
class Voice:
    id: str  # "<engine>:<name>", stable: it is stored in projects' choices and in cache keys
    engine: str
    name: str
    language: str  # BCP 47, e.g. "en-US"
    sample_rate: int
    neural: bool
    quality: int  # ranks the default voice of a language among neural or formant voices
    licence: str
    model_sha256: str = ""  # of the model file; "" for eSpeak (its version is in the engine version)
    available: bool = True
    problem: str = ""
    aliases: tuple[tuple[str, int], ...] = ()  # eSpeak: other language tags it answers to, with priority
    source: str = field(default="", repr=False, compare=False)  # model path; never shown to users
    config_source: str = field(default="", repr=False, compare=False)  # Piper: its config; "" = source + ".json"
    stored: tuple[StoredFile, ...] = field(default=(), repr=False, compare=False)  # uploaded: fetch these first

    def languages(self) -> list[str]:
        return [self.language.lower(), *(tag for tag, _ in self.aliases)]

    def config_path(self) -> Path:
        return Path(self.config_source or self.source + ".json")


def write_wav(samples: np.ndarray, rate: int, out_path: Path) -> float:
    """Float samples in [-1, 1] (or int16) to a mono 16-bit WAV; returns the duration in seconds."""
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(out_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return len(samples) / rate


def file_sha256(path: Path) -> str:
    return _sha256_cached(str(path), _stamp(path))


def _stamp(path: Path) -> tuple[int, int, int, int]:
    """Which file, and which version of it: a rewrite changes the size or the mtime, a copy the inode."""
    stat = path.stat()
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


_hashes: dict[tuple, str] = {}
_hash_lock = threading.Lock()


def _sha256_cached(path: str, stamp: tuple) -> str:
    with _hash_lock:
        if stamp not in _hashes:
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            _hashes[stamp] = digest.hexdigest()
        return _hashes[stamp]


_sessions: dict[tuple, object] = {}
_session_lock = threading.Lock()


def onnx_session(path: Path):
    """One onnxruntime session per model file (and version of it), on one thread: the machine is
    shared with FFmpeg, and one thread already runs these small models many times faster than real time."""
    import onnxruntime

    key = _stamp(path)
    with _session_lock:
        if key not in _sessions:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = options.inter_op_num_threads = 1
            options.log_severity_level = 3
            _sessions[key] = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return _sessions[key]


def onnx_forget(path: Path) -> None:
    """Drop the session of a model file that is about to go (a voice checked before it is stored)."""
    with _session_lock:
        _sessions.pop(_stamp(path), None)


def onnx_load_problem(path: Path) -> str:
    """Why onnxruntime cannot load this model ("" when it can)."""
    try:
        onnx_session(path)
    except ImportError:
        return "onnxruntime is not installed; install requirements.txt"
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors for bad files
        logger.warning("voice model does not load", extra={"event": "tts.model_broken", "error": str(exc)[:300]})
        return "its .onnx model does not load (truncated or not an ONNX file); copy it again"
    return ""


def bcp47(tag: str) -> str:
    """"en_US" or "en-us" → "en-US"; "pt-br" → "pt-BR"; other subtags are kept as they are."""
    parts = tag.replace("_", "-").split("-")
    return "-".join([parts[0].lower(), *(p.upper() if len(p) == 2 else p for p in parts[1:])])


# --- eSpeak NG -----------------------------------------------------------------------------------

class _VoiceStruct(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_void_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


class ESpeakLibrary:
    """libespeak-ng from the `espeakng-loader` wheel, through ctypes. The library keeps global state
    (the selected voice, the callback's buffer), so every call holds one lock; Piper's phonemes come
    from the same instance."""

    _SYNCHRONOUS = 2
    _POS_CHARACTER = 1
    _CHARS_UTF8 = 1
    _PHONEMES_IPA = 0x02
    _RATE = 1
    _CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def __init__(self) -> None:
        import espeakng_loader  # the wheel with libespeak-ng and its data

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lock = threading.RLock()
        self._chunks: list[bytes] = []
        self.rate = self._lib.espeak_Initialize(self._SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
        if self.rate <= 0:
            raise RuntimeError("eSpeak NG failed to initialise")
        self._callback = self._CALLBACK(self._collect)  # kept referenced: the library calls it
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self._lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self._lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))
        self.version = self._lib.espeak_Info(None).decode()

    def _collect(self, samples, count: int, events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, count * 2))
        return 0

    def select(self, name: str) -> bool:
        return self._lib.espeak_SetVoiceByName(name.encode()) == 0

    def list_voices(self) -> list[tuple[str, str, list[tuple[str, int]]]]:
        """(name, identifier, [(language, priority), …]) of every installed voice."""
        with self.lock:
            table, found, i = self._lib.espeak_ListVoices(None), [], 0
            while table[i]:
                entry = table[i].contents
                found.append((entry.name.decode(), entry.identifier.decode(), self._languages(entry.languages)))
                i += 1
        return found

    @staticmethod
    def _languages(address: int) -> list[tuple[str, int]]:
        found = []
        while priority := ctypes.c_ubyte.from_address(address).value:  # (priority byte, NUL-terminated tag)*, 0
            tag = ctypes.string_at(address + 1)
            found.append((tag.decode(), priority))
            address += 2 + len(tag)
        return found

    def synthesize(self, text: str, voice: str, words_per_minute: int) -> bytes:
        data = text.encode("utf-8")
        with self.lock:
            if not self.select(voice):
                raise UnsupportedLanguage(f"eSpeak NG has no voice '{voice}'.")
            self._lib.espeak_SetParameter(self._RATE, words_per_minute, 0)
            self._chunks = []
            self._lib.espeak_Synth(ctypes.c_char_p(data), len(data) + 1, 0, self._POS_CHARACTER, 0, self._CHARS_UTF8,
                                   None, None)
            self._lib.espeak_Synchronize()
            return b"".join(self._chunks)

    def phonemes(self, text: str, voice: str) -> list[tuple[str, str]]:
        """IPA phonemes clause by clause, each with the punctuation that ended it in the text (Piper
        reads that punctuation: it shapes pauses and intonation)."""
        data = text.encode("utf-8")
        buffer = ctypes.create_string_buffer(data)
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        start, clauses = pointer.value, []
        with self.lock:
            if not self.select(voice):
                raise UnsupportedLanguage(f"eSpeak NG has no voice '{voice}' for this Piper voice's phonemes.")
            while pointer.value:
                before = pointer.value - start
                ipa = self._lib.espeak_TextToPhonemes(ctypes.byref(pointer), self._CHARS_UTF8, self._PHONEMES_IPA)
                after = pointer.value - start if pointer.value else len(data)
                clause = data[before:after].decode("utf-8", "ignore").rstrip()
                clauses.append(((ipa or b"").decode("utf-8", "ignore"), clause[-1:] if clause[-1:] in ".,;:!?" else ""))
        return clauses


_espeak: ESpeakLibrary | None = None
_espeak_lock = threading.Lock()


def espeak_library() -> ESpeakLibrary:
    global _espeak
    with _espeak_lock:
        if _espeak is None:
            _espeak = ESpeakLibrary()
        return _espeak


class ESpeakEngine:
    name = "espeak"
    LICENCE = "GPL-3.0-or-later (eSpeak NG, from the espeakng-loader wheel); formant synthesis, no model"
    WORDS_PER_MINUTE = 175  # eSpeak's own default pace = rate 1.0

    @property
    def version(self) -> str:
        return f"espeak-ng {espeak_library().version}"

    def discover(self) -> list[Voice]:
        library = espeak_library()
        voices = []
        for name, identifier, languages in library.list_voices():
            if identifier.startswith("mb/") or not languages:  # MBROLA voices need a program we do not ship
                continue
            tag = languages[0][0]
            voices.append(Voice(id=f"espeak:{tag}", engine=self.name, name=f"eSpeak NG {name}", language=bcp47(tag),
                                sample_rate=library.rate, neural=False, quality=10, licence=self.LICENCE,
                                aliases=tuple((t.lower(), p) for t, p in languages), source=identifier))
        return voices

    def synthesize(self, voice: Voice, text: str, rate: float, out_path: Path) -> float:
        library = espeak_library()
        audio = library.synthesize(text, voice.source, round(self.WORDS_PER_MINUTE * rate))
        return write_wav(np.frombuffer(audio, dtype="<i2"), library.rate, out_path)


# --- hibari (the neural English voice in its wheel) -----------------------------------------------

class HibariEngine:
    name = "hibari"
    LICENCE = ("Apache-2.0, code and weights (hibari-tts 0.2.1; distilled from Kokoro-82M, Apache-2.0; "
               "misaki lexicon Apache-2.0)")
    VOICE = "heart"  # the one voice inside the wheel; the others download at first use, so they are never offered

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tts = None

    @functools.cached_property
    def version(self) -> str:
        from importlib.metadata import version

        return f"hibari-tts {version('hibari-tts')} onnxruntime {version('onnxruntime')}"

    @staticmethod
    def model_path() -> Path:
        from hibari import tts as hibari_tts

        return Path(hibari_tts.ASSETS) / "hibari.onnx"

    def discover(self) -> list[Voice]:
        base = {"id": f"hibari:{self.VOICE}", "engine": self.name, "name": "hibari heart (American English, female)",
                "language": "en-US", "sample_rate": 24000, "neural": True, "quality": 90, "licence": self.LICENCE}
        try:
            path = self.model_path()
        except ImportError:
            return [Voice(**base, available=False, problem="the hibari-tts package is not installed; "
                                                           "install requirements.txt")]
        if not path.is_file():
            return [Voice(**base, available=False, problem="the hibari-tts package is missing its bundled voice "
                                                           "model; reinstall it (pip install --force-reinstall)")]
        if problem := onnx_load_problem(path):
            return [Voice(**base, available=False, problem=f"hibari's bundled voice: {problem}")]
        return [Voice(**base, model_sha256=file_sha256(path), source=str(path))]

    def synthesize(self, voice: Voice, text: str, rate: float, out_path: Path) -> float:
        with self._lock:
            if self._tts is None:
                from hibari import Hibari

                # model= given explicitly: Hibari never resolves (and so never downloads) a voice file
                self._tts = Hibari(model=voice.source, threads=1)
            # seed=0: the noise component is fixed, so the same text always gives the same audio
            audio = self._tts(text, speed=rate, seed=0)
        return write_wav(audio, 24000, out_path)


# --- Piper voices an operator provides -------------------------------------------------------------

PIPER_QUALITY = {"x_low": 60, "low": 70, "medium": 80, "high": 85}
VOICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\Z")


class PiperEngine:
    """Piper voices (VITS models exported to ONNX) run with onnxruntime, phonemes from the eSpeak NG
    the project already ships: the same steps as piper-tts, without depending on it (GPL-3.0-or-later,
    and a second copy of eSpeak NG's data)."""

    name = "piper"
    DEFAULT_LICENCE = "operator-provided Piper voice: check its MODEL_CARD for the licence of the voice and its data"

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory) if directory else None

    @functools.cached_property
    def version(self) -> str:
        from importlib.metadata import version

        return f"piper-onnx 1 onnxruntime {version('onnxruntime')} espeak-ng {espeak_library().version}"

    def discover(self) -> list[Voice]:
        if self.directory is None:
            return []
        if not self.directory.is_dir():
            return [self._broken("(directory)", "und", "TTS_VOICES_DIR does not exist or is not a directory")]
        names = sorted({p.name[: -len(".onnx.json")] if p.name.endswith(".onnx.json") else p.stem
                        for p in self.directory.iterdir() if p.name.endswith((".onnx", ".onnx.json"))})
        return [self._voice(name) for name in names]

    def _broken(self, name: str, language: str, problem: str) -> Voice:
        return Voice(id=f"piper:{name}", engine=self.name, name=name, language=language, sample_rate=0, neural=True,
                     quality=0, licence=self.DEFAULT_LICENCE, available=False, problem=problem)

    def _voice(self, name: str) -> Voice:
        model, config_path = self.directory / f"{name}.onnx", self.directory / f"{name}.onnx.json"
        language = bcp47(name.split("-")[0])
        if not VOICE_NAME.match(name):
            return self._broken("(invalid name)", "und", "a voice file name may use only letters, digits, '.', "
                                                         "'_' and '-'; rename it")
        if not model.is_file():
            return self._broken(name, language, f"{name}.onnx is missing (only its .onnx.json is there)")
        if not config_path.is_file():
            return self._broken(name, language, f"{name}.onnx.json is missing beside {name}.onnx")
        try:
            config = PiperConfig.load(config_path)
        except OSError as exc:  # its text names the server's path: say what happened without it
            return self._broken(name, language, f"{name}.onnx.json cannot be read ({exc.strerror or 'error'})")
        except (ValueError, KeyError, TypeError) as exc:
            return self._broken(name, language, f"{name}.onnx.json is not a usable Piper voice config ({exc})")
        if not espeak_library().select(config.espeak_voice):
            return self._broken(name, config.language or language,
                                f"its eSpeak NG voice '{config.espeak_voice}' (for phonemes) is not installed")
        if problem := onnx_load_problem(model):
            return self._broken(name, config.language or language, problem)
        return Voice(id=f"piper:{name}", engine=self.name, name=name, language=config.language or language,
                     sample_rate=config.sample_rate, neural=True, quality=PIPER_QUALITY.get(config.quality, 75),
                     licence=config.licence or self.DEFAULT_LICENCE, model_sha256=file_sha256(model), source=str(model))

    def synthesize(self, voice: Voice, text: str, rate: float, out_path: Path) -> float:
        config = PiperConfig.load(voice.config_path())
        session = onnx_session(Path(voice.source))
        silence = np.zeros(round(config.sample_rate * 0.2), dtype=np.float32)  # between sentences
        pieces = []
        for sentence in self._sentences(config, text):
            ids = config.ids(sentence)
            inputs = {"input": np.array([ids], dtype=np.int64), "input_lengths": np.array([len(ids)], dtype=np.int64),
                      "scales": np.array([config.noise_scale, config.length_scale / rate, config.noise_w],
                                         dtype=np.float32)}
            if config.speakers > 1:
                inputs["sid"] = np.array([0], dtype=np.int64)
            pieces += [session.run(None, inputs)[0].squeeze().astype(np.float32), silence]
        audio = np.concatenate(pieces[:-1]) if pieces else np.zeros(0, np.float32)
        return write_wav(audio, config.sample_rate, out_path)

    @staticmethod
    def _sentences(config: PiperConfig, text: str) -> list[list[str]]:
        """Phonemes grouped by sentence, punctuation kept, each character one phoneme (NFD), as Piper does."""
        sentences, current = [], []
        for ipa, terminator in espeak_library().phonemes(text, config.espeak_voice):
            ipa = re.sub(r"\([^)]+\)", "", ipa)  # language-switch flags around foreign words
            current += list(unicodedata.normalize("NFD", ipa + terminator + (" " if terminator in ",:;" else "")))
            if terminator in ".!?":
                sentences.append(current)
                current = []
        return [s for s in sentences + [current] if s]


@dataclass(frozen=True)
class PiperConfig:
    sample_rate: int
    espeak_voice: str
    language: str
    quality: str
    noise_scale: float
    length_scale: float
    noise_w: float
    speakers: int
    id_map: dict
    licence: str

    @classmethod
    def load(cls, path: Path) -> PiperConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("phoneme_type", "espeak") != "espeak":
            raise ValueError(f"phoneme_type {data.get('phoneme_type')!r} is not supported, only 'espeak'")
        language = data.get("language", {}).get("code", "") if isinstance(data.get("language"), dict) else ""
        inference = data.get("inference", {})
        id_map = data["phoneme_id_map"]
        if not all(symbol in id_map for symbol in "^$_"):
            raise ValueError("phoneme_id_map lacks the '^', '$' or '_' symbols")
        return cls(sample_rate=int(data["audio"]["sample_rate"]), espeak_voice=str(data["espeak"]["voice"]),
                   language=bcp47(language) if language else "", quality=str(data["audio"].get("quality", "")),
                   noise_scale=float(inference.get("noise_scale", 0.667)),
                   length_scale=float(inference.get("length_scale", 1.0)),
                   noise_w=float(inference.get("noise_w", 0.8)), speakers=int(data.get("num_speakers", 1)),
                   id_map=id_map, licence=str(data.get("licence") or data.get("license") or ""))

    def ids(self, phonemes: list[str]) -> list[int]:
        """^ _ p1 _ p2 _ … $ — a pad after every symbol, as Piper's models were trained."""
        ids = [*self.id_map["^"], *self.id_map["_"]]
        for phoneme in phonemes:
            if phoneme in self.id_map:
                ids += [*self.id_map[phoneme], *self.id_map["_"]]
        return ids + list(self.id_map["$"])
