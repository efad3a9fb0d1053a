"""Serializers of the core domain. Names are globally unique for drf-spectacular."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contentizer import transitions
from contentizer.api.serializers_base import (
    BrandField,
    CaptionField,
    EffectsField,
    StrictInputMixin,
    TransitionField,
)
from contentizer.languages import (
    MAX_LANGUAGES,
    duplicates,
    invalid_codes,
    invalid_codes_message,
    resolve_language,
)
from contentizer.models import DEFAULT_STEP_SECONDS, Chapter, Project, RecordingStatus, Step, caption_object

MAX_NARRATION_CHARS = 5000
# Wire names are camelCase; a ModelSerializer builds a renamed field from the model field its
# `source` names, so the model's validators and help texts still apply.
TIMESTAMPS = {"createdAt": {"source": "created_at"}, "updatedAt": {"source": "updated_at"}}


class ProjectSerializer(StrictInputMixin, serializers.ModelSerializer):
    chapterCount = serializers.IntegerField(source="chapters.count", read_only=True)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=35), min_length=1, max_length=MAX_LANGUAGES, required=False,
        help_text='Ordered BCP 47 codes, e.g. ["en", "de"], or language names in English or in the language '
                  'itself ("German", "Deutsch"), which are stored as their codes; the first is the default audio '
                  "and subtitle language of the project's videos.",
    )

    class Meta:
        model = Project
        fields = ["id", "title", "description", "languages", "brand", "chapterCount", "createdAt", "updatedAt"]
        read_only_fields = ["id", "createdAt", "updatedAt"]
        extra_kwargs = TIMESTAMPS

    brand = BrandField(required=False, help_text="How the project's videos look: caption style, logo, card "
                                                 "colours, intro and outro (docs/brand.md).")

    def validate_brand(self, value: dict[str, Any]) -> dict[str, Any]:
        """The logo must be a picture of this project: another project's asset reads as not existing,
        as a step's does."""
        if not (logo := value.get("logo")):
            return value
        asset = _asset_model().objects.filter(project=self.instance, pk=logo["asset"]).select_related(
            "blob").first() if self.instance else None
        if asset is None:
            raise serializers.ValidationError({"logo.asset": [f"Asset {logo['asset']} is not an asset of this "
                                                              "project: upload the logo to the project first."]})
        if asset.blob.kind != "image":
            raise serializers.ValidationError({"logo.asset": [
                f"Asset {asset.pk} is a {asset.blob.kind} file; the logo must be a picture (PNG, JPEG, WebP or GIF)."]})
        return value

    def validate_languages(self, value: list[str]) -> list[str]:
        resolved = [resolve_language(entry) for entry in value]
        if unknown := [entry for entry, code in zip(value, resolved, strict=True) if code is None]:
            raise serializers.ValidationError(
                f"Not languages (use a name like 'German' or a BCP 47 code like 'de' or 'pt-BR'): "
                f"{', '.join(unknown)}")
        value = [code for code in resolved if code]
        if bad := invalid_codes(value):
            raise serializers.ValidationError(invalid_codes_message(bad))
        if repeated := duplicates(value):
            raise serializers.ValidationError(f"Each language may be listed once: {', '.join(repeated)}")
        return value


class ChapterSerializer(StrictInputMixin, serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(read_only=True)
    stepCount = serializers.IntegerField(source="steps.count", read_only=True)

    class Meta:
        model = Chapter
        fields = ["id", "project", "title", "position", "stepCount", "createdAt", "updatedAt"]
        read_only_fields = ["id", "position", "createdAt", "updatedAt"]
        extra_kwargs = TIMESTAMPS


def _asset_model():
    """The model a step's asset points to, found through the relation (this layer names the
    assets app only by string, as the model does)."""
    return Step._meta.get_field("asset").related_model


class StepRecordingSerializer(serializers.Serializer):
    asset = serializers.IntegerField(source="asset_id", help_text="The recording: an audio (or video) asset of the "
                                                                  "project.")
    state = serializers.ChoiceField(source="status", choices=RecordingStatus.choices, help_text=(
        "transcribing (its text is being recognised; it is said already); ready; refused (silent or undecodable: "
        "not said, see problem)"))
    transcript = serializers.CharField(help_text="What speech recognition heard, once transcribed.")
    problem = serializers.CharField(help_text="Why it is refused, or why it has no transcript; empty otherwise.")
    job = serializers.UUIDField(source="job_id", allow_null=True, help_text="The transcription job.")


class StepSerializer(StrictInputMixin, serializers.ModelSerializer):
    chapter = serializers.PrimaryKeyRelatedField(read_only=True)
    asset = serializers.PrimaryKeyRelatedField(
        queryset=_asset_model().objects.none(), allow_null=True, required=False,
        help_text="Id of an asset of the same project.",
    )
    transition = TransitionField(required=False, default=transitions.DEFAULT)
    caption = CaptionField(required=False)
    machineTranslated = serializers.DictField(
        source="machine_translated", read_only=True,
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Texts filled by machine translation and not yet edited or approved, per field: '
                  '{"caption": ["de"], "narration": ["de"]}.',
    )
    narration = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=MAX_NARRATION_CHARS),
        required=False,
        help_text='Narration text per language code, e.g. {"en": "Click Save."}',
    )
    narrationAudio = serializers.DictField(
        source="recordings_by_language", child=StepRecordingSerializer(), read_only=True,
        help_text="The author's own recording of the narration per language, said instead of the voice (PUT and "
                  "DELETE /api/steps/{id}/narration/{language}/recording).",
    )
    effects = EffectsField(required=False)
    approve = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=35)), write_only=True, required=False,
        help_text='Machine-translated texts the author approves as they are: {"caption": ["de"]}. Editing a '
                  "text approves it too.",
    )

    class Meta:
        model = Step
        fields = [
            "id", "chapter", "position", "caption", "narration", "narrationAudio", "machineTranslated", "approve",
            "asset", "duration", "transition", "transitionDuration", "effects", "createdAt", "updatedAt",
        ]
        read_only_fields = ["id", "position", "createdAt", "updatedAt"]
        extra_kwargs = {**TIMESTAMPS, "transitionDuration": {"source": "transition_duration"}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project = self.context.get("project")
        if project is not None:
            # Only the project's own assets resolve; any other id reads as "does not exist".
            self.fields["asset"].queryset = _asset_model().objects.filter(project=project)

    def _languages(self) -> list[str]:
        project = self.context.get("project") or (self.instance.chapter.project if self.instance else None)
        return project.languages if project is not None else ["en"]

    def validate_caption(self, value: dict[str, str] | str) -> dict[str, str]:
        if isinstance(value, str):
            # The first language's text; the other languages keep what they have.
            kept = {k: v for k, v in (getattr(self.instance, "caption", None) or {}).items()
                    if k != self._languages()[0]}
            return {**caption_object(value, self._languages()), **kept}
        return self.validate_narration(value)

    def validate_approve(self, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if unknown := sorted(set(value) - {"caption", "narration"}):
            raise serializers.ValidationError(f"Only caption and narration can be approved, not: {', '.join(unknown)}")
        return value

    def validate_narration(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_LANGUAGES:
            raise serializers.ValidationError(f"At most {MAX_LANGUAGES} languages.")
        if bad := invalid_codes(value):
            raise serializers.ValidationError(invalid_codes_message(bad))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        duration = attrs.get("duration", getattr(self.instance, "duration", DEFAULT_STEP_SECONDS))
        transition = attrs.get("transition_duration", getattr(self.instance, "transition_duration",
                                                              transitions.DEFAULT_SECONDS))
        if not transitions.outlasts(duration, 0.0, transition):
            raise serializers.ValidationError(
                {"transitionDuration": ["Must be shorter than the step's duration."]}
            )
        return attrs


class ReorderInputSerializer(StrictInputMixin, serializers.Serializer):
    order = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=False, max_length=10000,
        help_text="Every id of the collection, each once, in the new order.",
    )


class StepGapSerializer(serializers.Serializer):
    step = serializers.IntegerField(help_text="The step's id.")
    number = serializers.IntegerField(help_text="The step's number in the chapter, from 1.")
    fields = serializers.ListField(child=serializers.ChoiceField(choices=["caption", "narration"]),
                                   help_text="The texts this language lacks while another language has them.")


class LanguageCompletenessSerializer(serializers.Serializer):
    language = serializers.CharField()
    name = serializers.CharField(help_text='The language\'s name, e.g. "German".')
    complete = serializers.BooleanField()
    missing = StepGapSerializer(many=True)


class ChapterCompletenessSerializer(serializers.Serializer):
    chapter = serializers.IntegerField()
    languages = LanguageCompletenessSerializer(many=True, help_text="The project's languages in order.")
