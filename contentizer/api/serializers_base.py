"""Serializer behaviour shared by every API input."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contentizer import transitions


class StrictInputMixin:
    """Unknown fields are a 400 naming them, not silently dropped (a typo must not pass)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}
                )
        return super().to_internal_value(data)


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
