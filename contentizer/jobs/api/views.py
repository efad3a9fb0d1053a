"""One jobs API for every kind of job: list, read, cancel, retry, and live events (SSE)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
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


class _EventStream:
    """`progress` events (the job resource) whenever the job changes, then one `end` event; a
    comment line every 15 s keeps proxies from closing an idle stream; the stream ends after
    `limit` seconds.

    Under the ASGI server the stream is asynchronous: between looks it waits on the event loop,
    so twenty open streams hold no worker and the API stays responsive. Under WSGI (the test
    client, a plain WSGI server) the same events come from a blocking generator.
    """

    def __init__(self, job_id, *, poll: float, limit: float) -> None:
        self.job_id, self.poll, self.limit = job_id, poll, limit
        self.last, self.started, self.quiet_since = None, time.monotonic(), time.monotonic()

    def _look(self) -> tuple[list[bytes], bool]:
        job = Job.objects.get(pk=self.job_id)
        out = []
        if (seen := _fingerprint(job)) != self.last:
            out.append(f"event: progress\ndata: {json.dumps(job_representation(job))}\n\n".encode())
            self.last, self.quiet_since = seen, time.monotonic()
        if job.finished:
            out.append(f"event: end\ndata: {json.dumps(job_representation(job))}\n\n".encode())
            return out, True
        if time.monotonic() - self.quiet_since > 15:
            out.append(b": keep-alive\n\n")
            self.quiet_since = time.monotonic()
        return out, False

    def _open(self) -> bool:
        return time.monotonic() - self.started < self.limit

    def blocking(self) -> Iterator[bytes]:
        while self._open():
            events, done = self._look()
            yield from events
            if done:
                return
            time.sleep(self.poll)

    async def asynchronous(self) -> AsyncIterator[bytes]:
        look = sync_to_async(self._look)
        try:
            while self._open():
                events, done = await look()
                for event in events:
                    yield event
                if done:
                    return
                await asyncio.sleep(self.poll)
        finally:
            await sync_to_async(connection.close)()  # the looks' thread keeps no connection


class JobEventsApi(APIView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(summary="Live progress as Server-Sent Events (progress, then end)", tags=["jobs"],
                   responses={(200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request: Request, job_id) -> StreamingHttpResponse:
        job = selectors.job_get(user=request.user, job_id=job_id)
        stream = _EventStream(job.pk, poll=settings.JOB_EVENTS_POLL_SECONDS, limit=settings.JOB_EVENTS_MAX_SECONDS)
        asgi = isinstance(request._request, ASGIRequest)
        response = StreamingHttpResponse(stream.asynchronous() if asgi else stream.blocking(),
                                         content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: deliver each event as it comes
        return response
