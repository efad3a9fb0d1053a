"""Serializer behaviour shared by every API input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.serializers import as_serializer_error

from contentizer import brand, effects, transitions


class StrictInputMixin:
    """Unknown fields are a 400 naming them, not silently dropped (a typo must not pass), in the
    same answer as every other problem of the input: a client fixes its request in one go."""

    def run_validation(self, data: Any = empty) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        problems = {str(name): ["Unknown field."] for name in unknown}
        try:
            value = super().run_validation(data)
        except serializers.ValidationError as exc:
            if not problems:
                raise
            problems = {**as_serializer_error(exc), **problems}
        if problems:
            raise serializers.ValidationError(problems)
        return value


class TransitionField(serializers.ChoiceField):
    """A transition from the one list (contentizer/transitions.py); an alias such as `fade` is
    accepted and stored as the transition it stands for (`fadeblack`)."""

    def __init__(self, **kwargs: Any) -> None:
        labels = dict(transitions.choices())
        choices = [(name, labels.get(name) or f"Alias of {transitions.canonical(name)}")
                   for name in transitions.accepted()]
        kwargs.setdefault("help_text", "Into the next step (the last step's is ignored); default "
                                       f"`{transitions.DEFAULT}`. `fade` is an alias of `fadeblack`.")
        super().__init__(choices=choices, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return transitions.canonical(super().to_internal_value(data))


MAX_CAPTION_CHARS = 2000


@extend_schema_field({
    "oneOf": [
        {"type": "object", "additionalProperties": {"type": "string", "maxLength": MAX_CAPTION_CHARS}},
        {"type": "string", "maxLength": MAX_CAPTION_CHARS},
    ],
    "description": 'On-screen text per language code, e.g. {"en": "Save", "de": "Speichern"}. A plain string '
                   "is accepted as the text of the project's first language (the other languages keep theirs); "
                   "answers always give the object.",
})
class CaptionField(serializers.Field):
    """A caption: an object of language code → text, or a plain string meaning the first
    language. The string form stays a string here; the serializer knows the project."""

    default_error_messages = {
        "invalid": "Give an object of language code to text, or a string.",
        "max_length": f"Ensure this field has no more than {MAX_CAPTION_CHARS} characters.",
    }

    def to_internal_value(self, data: Any) -> dict[str, str] | str:
        if isinstance(data, str):
            texts: Any = data
        elif isinstance(data, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            texts = dict(data)
        else:
            self.fail("invalid")
        if isinstance(texts, str):
            if len(texts) > MAX_CAPTION_CHARS:
                self.fail("max_length")
        elif long := {lang: [self.error_messages["max_length"]] for lang, t in texts.items()
                      if len(t) > MAX_CAPTION_CHARS}:
            raise serializers.ValidationError(long)  # beside the language's own box
        return texts

    def to_representation(self, value: Any) -> dict[str, str]:
        return dict(value) if isinstance(value, Mapping) else {}


_FRACTION = {"type": "number", "minimum": 0, "maximum": 1}
_REGION = {"type": "object", "required": ["x", "y", "w", "h"], "additionalProperties": False,
           "properties": {k: _FRACTION for k in effects.REGION_KEYS},
           "description": "A region in fractions (0..1) of the picture: left, top, width, height."}


@extend_schema_field({
    "type": "object", "additionalProperties": False,
    "description": "Emphasis on the step's picture; {} for none. Highlight and zoom need a focus region.",
    "properties": {
        "focus": _REGION, "highlight": {"type": "boolean", "description": "Dim everything outside the focus."},
        "zoom": {"type": "boolean", "description": "Zoom into the focus and back out within the step."},
        "blur": {"type": "array", "maxItems": effects.MAX_BLUR_REGIONS, "items": _REGION,
                 "description": "Regions to redact (blurred past reading before any zoom)."},
        "click": {"type": "object", "required": ["x", "y"], "additionalProperties": False,
                  "properties": {k: _FRACTION for k in effects.POINT_KEYS},
                  "description": "A click marker (a ring) at this point."},
    },
})
class EffectsField(serializers.Field):
    """A step's effects (contentizer.effects), checked strictly; each problem is reported under
    its own path (`focus.w`, `blur[1].x`) beside the field."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        try:
            return effects.parse(data, path="effects").to_json()
        except effects.EffectsError as exc:
            raise serializers.ValidationError(
                {path.removeprefix("effects").lstrip(".") or "effects": [msg] for path, msg in exc.problems.items()}
            ) from None

    def to_representation(self, value: Any) -> dict[str, Any]:
        return dict(value) if isinstance(value, Mapping) else {}


_COLOUR_SCHEMA = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$", "example": "#1f2d3d"}


@extend_schema_field({
    "type": "object",
    "description": "How the project's videos look (docs/brand.md). In a change, each section given replaces "
                   "the current one (null removes the logo or a card, or resets a section to its defaults); "
                   "sections left out stay as they are. Answers give every section, defaults included.",
    "properties": {
        "caption": {"type": "object", "nullable": True, "properties": {
            "size": {"enum": list(brand.CAPTION_SIZES)}, "position": {"enum": list(brand.CAPTION_POSITIONS)},
            "color": _COLOUR_SCHEMA, "background": _COLOUR_SCHEMA,
            "boxOpacity": {"type": "number", "minimum": 0, "maximum": 1}}},
        "logo": {"type": "object", "nullable": True, "required": ["asset"], "properties": {
            "asset": {"type": "integer", "description": "Id of an image asset of this project."},
            "corner": {"enum": list(brand.CORNERS)},
            "size": {"type": "number", "minimum": brand.LOGO_SIZES[0], "maximum": brand.LOGO_SIZES[1],
                     "description": "The logo's longer side, as a fraction of the frame's short edge."}}},
        "colors": {"type": "object", "nullable": True, "properties": {
            "primary": _COLOUR_SCHEMA, "text": _COLOUR_SCHEMA}},
        "intro": {"type": "object", "nullable": True, "required": ["title"], "properties": {
            "title": {"type": "string", "maxLength": brand.MAX_TITLE},
            "subtitle": {"type": "string", "maxLength": brand.MAX_TITLE},
            "seconds": {"type": "number", "minimum": brand.CARD_SECONDS[0], "maximum": brand.CARD_SECONDS[1]}}},
        "outro": {"type": "object", "nullable": True, "required": ["title"], "properties": {
            "title": {"type": "string", "maxLength": brand.MAX_TITLE},
            "subtitle": {"type": "string", "maxLength": brand.MAX_TITLE},
            "seconds": {"type": "number", "minimum": brand.CARD_SECONDS[0], "maximum": brand.CARD_SECONDS[1]}}},
    },
})
class BrandField(serializers.Field):
    """A project's brand (contentizer.brand), merged into the current one section by section and
    checked strictly; each problem is reported under its own path (`caption.color`, `logo.corner`)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        instance = getattr(self.parent, "instance", None)
        try:
            return brand.parse(brand.merged(getattr(instance, "brand", {}), data)).to_json()
        except brand.BrandError as exc:
            raise serializers.ValidationError(
                {path.removeprefix("brand").lstrip(".") or "brand": [msg] for path, msg in exc.problems.items()}
            ) from None

    def to_representation(self, value: Any) -> dict[str, Any]:
        return brand.parse(value).full_json()
