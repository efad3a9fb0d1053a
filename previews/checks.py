"""`manage.py check`: speech settings that cannot work; voices, translation and speech recognition models that
cannot be used."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.checks import Error, Warning, register

logger = logging.getLogger(__name__)


@register("previews")
def voices_check(app_configs, **kwargs) -> list:
    from previews.tts import catalogue

    unknown = sorted(set(settings.TTS_ENGINES) - set(catalogue.ENGINES))
    if unknown:
        return [Error(f"TTS_ENGINES names unknown engines: {', '.join(unknown)}",
                      hint=f"Use some of: {', '.join(catalogue.ENGINES)}.", id="previews.E001")]
    return [Warning(f"Voice {voice.id} ({voice.language}) cannot be used: {voice.problem}",
                    hint="Its language is narrated by the next best voice (eSpeak NG at worst) until it is fixed.",
                    id="previews.W001") for voice in catalogue.problems()]


@register("previews")
def translation_check(app_configs, **kwargs) -> list:
    from previews import translation

    return [Warning(f"Translation model {pair.id} ({pair.source} → {pair.target}) cannot be used: {pair.problem}",
                    hint="Chapters are translated with the other models (the bundled English ↔ Portuguese one at "
                         "least) until it is fixed; see docs/translation.md.",
                    id="previews.W002") for pair in translation.problems()]


@register("previews")
def asr_check(app_configs, **kwargs) -> list:
    from previews import asr

    return [Warning(f"Speech recognition model {model.id} cannot be used: {model.problem}",
                    hint="Recordings are recognised with the other models (the bundled Whisper base at least) until "
                         "it is fixed; see docs/speech.md.",
                    id="previews.W003") for model in asr.models() if not model.available]
