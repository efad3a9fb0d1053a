"""`manage.py check` (and so every `qcluster`, which runs the checks before it starts): the
FFmpeg that would render must run and be a release the render tests pass with."""

from __future__ import annotations

import logging

from django.core.checks import Error, register

from contentizer.media import ffmpeg

logger = logging.getLogger(__name__)


@register("contentizer")
def ffmpeg_check(app_configs, **kwargs) -> list:
    problem = ffmpeg.build_problem()
    if problem is None:
        return []
    minimum = ".".join(map(str, ffmpeg.TESTED_MINIMUM))
    return [Error(problem, id="contentizer.E001",
                  hint=f"Unset FFMPEG_BINARY to use the FFmpeg that comes with the requirements (imageio-ffmpeg), "
                       f"or point it at an FFmpeg {minimum} or newer.")]
