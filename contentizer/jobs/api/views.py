"""One jobs API for every kind of job: list, read, cancel, retry, and live events (SSE)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contentizer.jobs import selectors, services
from contentizer.jobs.api.serializers import (
    GenericJobSerializer,
    JobListQuerySerializer,
    JobRetryInputSerializer,
    job_representation,
    job_resource_schema,
)
from contentizer.jobs.models import Job


class EventStreamRenderer(BaseRenderer):
    """Lets `Accept: text/event-stream` through content negotiation; the view streams itself."""

    media_type = "text/event-stream"
    format = "sse"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data).encode()


class JobListApi(GenericAPIView):
    serializer_class = GenericJobSerializer  # what OPTIONS describes; the schema types each kind

    @extend_schema(summary="List your jobs of every kind", tags=["jobs"], parameters=[JobListQuerySerializer],
                   responses={200: job_resource_schema(many=True)})
    def get(self, request: Request) -> Response:
        query = JobListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.job_list(user=request.user, **query.validated_data))
        return self.get_paginated_response([job_representation(job) for job in page])


class JobDetailApi(APIView):
    @extend_schema(summary="Read a job: the canonical status of every kind", tags=["jobs"],
                   responses={200: job_resource_schema()})
    def get(self, request: Request, job_id) -> Response:
        return Response(job_representation(selectors.job_get(user=request.user, job_id=job_id)))

    @extend_schema(summary="Cancel a job", tags=["jobs"], responses={200: job_resource_schema(), 409: OpenApiResponse(
        description="Already finished")})
    def delete(self, request: Request, job_id) -> Response:
        job = services.job_cancel(job=selectors.job_get(user=request.user, job_id=job_id))
        return Response(job_representation(job))


class JobRetryApi(APIView):
    @extend_schema(summary="Run a failed, dead or cancelled job again", tags=["jobs"],
                   request=JobRetryInputSerializer, responses={202: job_resource_schema()})
    def post(self, request: Request, job_id) -> Response:
        data = JobRetryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.job_requeue(job=selectors.job_get(user=request.user, job_id=job_id),
                                   resume_from=data.validated_data.get("resumeFrom"))
        return Response(job_representation(job), status=status.HTTP_202_ACCEPTED)


def _fingerprint(job: Job) -> tuple:
    """What changes when a job does (not, say, a freshly signed download URL)."""
    return (job.status, job.progress, job.stage, job.attempts, job.error, job.finished_at,
            json.dumps(job.result, sort_keys=True, default=str))


def _events(job_id, *, poll: float, limit: float) -> Iterator[bytes]:
    """`progress` events (the job resource) whenever the job changes, then one `end` event; a
    comment line every 15 s keeps proxies from closing an idle stream; the stream ends after
    `limit` seconds."""
    last, started, quiet_since = None, time.monotonic(), time.monotonic()
    while time.monotonic() - started < limit:
        job = Job.objects.get(pk=job_id)
        if (seen := _fingerprint(job)) != last:
            state = json.dumps(job_representation(job))
            yield f"event: progress\ndata: {state}\n\n".encode()
            last, quiet_since = seen, time.monotonic()
        if job.finished:
            yield f"event: end\ndata: {json.dumps(job_representation(job))}\n\n".encode()
            return
        if time.monotonic() - quiet_since > 15:
            yield b": keep-alive\n\n"
            quiet_since = time.monotonic()
        time.sleep(poll)


class JobEventsApi(APIView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(summary="Live progress as Server-Sent Events (progress, then end)", tags=["jobs"],
                   responses={(200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request: Request, job_id) -> StreamingHttpResponse:
        job = selectors.job_get(user=request.user, job_id=job_id)
        response = StreamingHttpResponse(
            _events(job.pk, poll=settings.JOB_EVENTS_POLL_SECONDS, limit=settings.JOB_EVENTS_MAX_SECONDS),
            content_type="text/event-stream",
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: deliver each event as it comes
        return response
