"""Export and import payloads; the job serializers type their part of the job resource."""

from __future__ import annotations

from rest_framework import serializers

from contentizer.api.serializers_base import StrictInputMixin
from contentizer.jobs.api.serializers import JobResourceSerializer, kind_field


class ExportIncludeInputSerializer(StrictInputMixin, serializers.Serializer):
    assets = serializers.BooleanField(required=False, default=True)
    subtitles = serializers.BooleanField(required=False, default=True)
    renders = serializers.BooleanField(required=False, default=False)


class ExportCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    projectId = serializers.IntegerField()
    chapterIds = serializers.ListField(child=serializers.IntegerField(), required=False, allow_empty=False)
    include = ExportIncludeInputSerializer(required=False)


class ExportAcceptedSerializer(serializers.Serializer):
    exportId = serializers.UUIDField(help_text="The export's job id.")
    statusUrl = serializers.CharField(help_text="The export's status: an alias of /api/v1/jobs/{id}.")


class ExportJobResultSerializer(serializers.Serializer):
    exportId = serializers.UUIDField()
    bytesWritten = serializers.IntegerField()
    size = serializers.IntegerField(allow_null=True)
    files = serializers.IntegerField(allow_null=True, help_text="Entries in the zip besides container.json.")
    expired = serializers.BooleanField()
    downloadUrl = serializers.CharField(allow_null=True, help_text="Needs the owner's credentials.")
    signedUrl = serializers.CharField(
        allow_null=True, help_text="Works without credentials for EXPORT_URL_SECONDS; signed anew on every read.")


class ExportJobSerializer(JobResourceSerializer):
    """An export job; `exportId`, `bytesWritten`, `size`, `errors`, `expired`, `downloadUrl` and
    `signedUrl` are what /api/export/{id} answered before it became an alias of /api/v1/jobs/{id}."""

    kind = kind_field("export")
    result = ExportJobResultSerializer()
    exportId = serializers.UUIDField(help_text="Same as id.")
    bytesWritten = serializers.IntegerField(help_text="Same as result.bytesWritten.")
    size = serializers.IntegerField(allow_null=True, help_text="Same as result.size.")
    errors = serializers.ListField(child=serializers.CharField(), help_text="The error, if any, as a list.")
    expired = serializers.BooleanField(help_text="Same as result.expired.")
    downloadUrl = serializers.CharField(allow_null=True, help_text="Same as result.downloadUrl.")
    signedUrl = serializers.CharField(allow_null=True, help_text="Same as result.signedUrl.")


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A zip made by an export")


class ImportJobResultSerializer(serializers.Serializer):
    projectId = serializers.IntegerField(allow_null=True, help_text="The new project, once the import succeeded.")
    title = serializers.CharField(allow_null=True)
    chapters = serializers.IntegerField(allow_null=True)
    assets = serializers.IntegerField(allow_null=True)
    videos = serializers.IntegerField(allow_null=True, help_text="Chapters whose render was imported, ready to "
                                                                 "watch without rendering again.")
    warnings = serializers.ListField(child=serializers.CharField(), help_text="What did not come across as "
                                     "exported, e.g. a voice this Contentizer does not have (the best available "
                                     "one narrates that language instead).")
    uploadSize = serializers.IntegerField(allow_null=True, help_text="Bytes of the uploaded zip.")


class ImportJobSerializer(JobResourceSerializer):
    """An import job: the uploaded zip checked and recreated as a project by a worker. A refused zip
    fails the job; `failure` then holds the code, message and details of the refusal."""

    kind = kind_field("import")
    result = ImportJobResultSerializer()
