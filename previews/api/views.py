"""Preview API: submit, poll, fetch the artifact, cancel, requeue."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contentizer import selectors as core
from contentizer.api.errors import ApiError, Conflict
from contentizer.api.schema import media
from contentizer.http.ranges import serve_stored
from contentizer.jobs import services as jobs
from contentizer.jobs.api.serializers import job_representation
from contentizer.jobs.models import JobStatus
from previews import compile as compiler
from previews import selectors, services
from previews.api.serializers import PreviewAcceptedSerializer, PreviewCreateInputSerializer, PreviewJobSerializer
from previews.compile import RESOLUTIONS, Format


def _accepted(job) -> dict:
    return {
        "jobId": job.id, "status": job.status, "statusUrl": f"/api/preview/{job.id}/status",
        "artifactUrl": f"/api/preview/{job.id}/artifact",
    }


class PreviewCreateApi(APIView):
    @extend_schema(
        summary="Request a preview of a chapter or of ad-hoc steps", tags=["previews"],
        request=PreviewCreateInputSerializer,
        responses={202: PreviewAcceptedSerializer, 200: PreviewAcceptedSerializer,
                   422: OpenApiResponse(description="The timeline is invalid (fields named)"),
                   429: OpenApiResponse(description="Queue full; see Retry-After")},
    )
    def post(self, request: Request) -> Response:
        data = PreviewCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body, spec = data.validated_data, data.validated_data["previewRequest"]
        project = core.project_get(user=request.user, project_id=body["projectId"])
        chapter = None
        if spec.get("chapterId"):
            chapter = core.chapter_get(user=request.user, chapter_id=spec["chapterId"])
            if chapter.project_id != project.pk:
                raise ApiError("That chapter belongs to another project.", code="not_found", status_code=404)
        steps = compiler.request_steps(spec["steps"], project.languages) if spec.get("steps") \
            else compiler.chapter_steps(chapter, recorded=True, only=spec.get("stepId"))
        if spec.get("stepId") and not steps:
            raise ApiError("That step is not a step of the chapter.", code="not_found", status_code=404)
        resolution = RESOLUTIONS[spec["resolution"]] if spec.get("resolution") else settings.PREVIEW_HEIGHT
        submitted = services.preview_request(
            owner=request.user, project=project, steps=steps, dry_run=body["dryRun"],
            fmt=Format(aspect=spec["aspect"], resolution=resolution),
            request_id=body["requestId"], job_id=body.get("jobId"), music=spec.get("audio", {}).get("music"),
            declared_assets=spec.get("assets"), chapter_id=chapter.pk if chapter else None,
            cards=not spec.get("stepId"),
        )
        code = status.HTTP_202_ACCEPTED if submitted.created else status.HTTP_200_OK
        return Response(_accepted(submitted.job), status=code)


class PreviewStatusApi(APIView):
    @extend_schema(summary="A preview job's status: an alias of /api/v1/jobs/{id} (the same body)", tags=["previews"],
                   responses={200: PreviewJobSerializer})
    def get(self, request: Request, job_id) -> Response:
        return Response(job_representation(selectors.preview_get(user=request.user, job_id=job_id)))


class PreviewArtifactApi(APIView):
    @extend_schema(
        summary="The rendered MP4 (or the dry run's manifest); honours Range", tags=["previews"],
        responses={**media("video/mp4", statuses=(200, 206),
                           description="preview.mp4 (a dry run's is preview.json, application/json); 206 for a Range"),
                   409: OpenApiResponse(description="Not ready yet"),
                   410: OpenApiResponse(description="Expired")},
    )
    def get(self, request: Request, job_id) -> HttpResponse:
        job = selectors.preview_get(user=request.user, job_id=job_id)
        result = job.result or {}
        if result.get("expired"):
            raise ApiError("This preview has expired; request it again.", code="expired", status_code=410)
        if job.status != JobStatus.SUCCEEDED or not result.get("artifact"):
            raise Conflict(f"The preview is not ready: it is {job.status}.", code="not_ready",
                           details={"status": job.status, "progress": job.progress})
        return serve_stored(request, storage=default_storage, key=result["artifact"], content_type=result["mime"],
                            filename=result["artifact"].rsplit("/", 1)[-1], size=result.get("size"))


class PreviewCancelApi(APIView):
    @extend_schema(summary="Cancel a queued or running preview", tags=["previews"], request=None,
                   responses={200: PreviewJobSerializer})
    def post(self, request: Request, job_id) -> Response:
        job = jobs.job_cancel(job=selectors.preview_get(user=request.user, job_id=job_id))
        return Response(job_representation(job))


class PreviewRequeueApi(APIView):
    @extend_schema(summary="Run a failed, dead or cancelled preview again", tags=["previews"], request=None,
                   responses={202: PreviewJobSerializer})
    def post(self, request: Request, job_id) -> Response:
        job = jobs.job_requeue(job=selectors.preview_get(user=request.user, job_id=job_id))
        return Response(job_representation(job), status=status.HTTP_202_ACCEPTED)
