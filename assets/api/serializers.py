"""Serializers of the asset store API (globally unique names for drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.models import Asset, Kind
from contentizer.api.serializers_base import StrictInputMixin


class AssetSerializer(serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(read_only=True)
    kind = serializers.CharField(source="blob.kind")
    mime = serializers.CharField(source="blob.mime")
    size = serializers.IntegerField(source="blob.size")
    sha256 = serializers.CharField(source="blob.sha256")
    width = serializers.IntegerField(source="blob.width", allow_null=True)
    height = serializers.IntegerField(source="blob.height", allow_null=True)
    duration = serializers.FloatField(source="blob.duration", allow_null=True)
    codecs = serializers.ListField(source="blob.codecs", child=serializers.CharField())
    thumbnailUrl = serializers.SerializerMethodField(method_name="thumbnail_url")
    contentUrl = serializers.SerializerMethodField(method_name="content_url")

    class Meta:
        model = Asset
        fields = [
            "id", "project", "originalName", "kind", "mime", "size", "sha256", "width",
            "height", "duration", "codecs", "thumbnailUrl", "contentUrl", "createdAt",
        ]
        read_only_fields = fields
        extra_kwargs = {"originalName": {"source": "original_name"}, "createdAt": {"source": "created_at"}}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def thumbnail_url(self, asset: Asset) -> str | None:
        return f"/api/assets/{asset.pk}/thumbnail" if asset.blob.thumbnail_key else None

    def content_url(self, asset: Asset) -> str:
        return f"/api/assets/{asset.pk}/content"


class AssetUploadResultSerializer(AssetSerializer):
    deduplicated = serializers.BooleanField(
        help_text="True when these bytes were already stored; nothing new was written."
    )

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "deduplicated"]
        read_only_fields = fields


class AssetUploadInputSerializer(StrictInputMixin, serializers.Serializer):
    file = serializers.FileField(help_text="The file; its type is detected from its content.")


class AssetListQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
