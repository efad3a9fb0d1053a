"""Webhook API: endpoints (the secret shown once), their delivery log, and redelivery."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contentizer.webhooks import selectors, services
from contentizer.webhooks.api.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointCreateInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateInputSerializer,
    endpoint_data,
)

_REFUSED = OpenApiResponse(description="webhook_url_refused (not http(s), or a private address), "
                                       "unknown_event_type, validation_error")


class WebhookListApi(GenericAPIView):
    serializer_class = WebhookEndpointCreateInputSerializer  # what OPTIONS describes

    @extend_schema(summary="List your webhook endpoints", tags=["webhooks"],
                   responses={200: WebhookEndpointSerializer(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.endpoint_list(user=request.user))
        return self.get_paginated_response(WebhookEndpointSerializer([endpoint_data(e) for e in page], many=True).data)

    @extend_schema(summary="Register a webhook endpoint; the answer holds its secret, shown only this once",
                   tags=["webhooks"], request=WebhookEndpointCreateInputSerializer,
                   responses={201: WebhookEndpointCreatedSerializer, 400: _REFUSED,
                              409: OpenApiResponse(description="too_many_endpoints")})
    def post(self, request: Request) -> Response:
        data = WebhookEndpointCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(owner=request.user, **data.validated_data)
        body = WebhookEndpointCreatedSerializer({**endpoint_data(endpoint), "secret": endpoint.secret}).data
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    @extend_schema(summary="Read a webhook endpoint (never its secret)", tags=["webhooks"],
                   responses={200: WebhookEndpointSerializer})
    def get(self, request: Request, endpoint_id) -> Response:
        endpoint = selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint_data(endpoint)).data)

    @extend_schema(summary="Change a webhook endpoint's URL, events, description or active flag", tags=["webhooks"],
                   request=WebhookEndpointUpdateInputSerializer,
                   responses={200: WebhookEndpointSerializer, 400: _REFUSED})
    def patch(self, request: Request, endpoint_id) -> Response:
        endpoint = selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)
        data = WebhookEndpointUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint_data(endpoint)).data)

    @extend_schema(summary="Delete a webhook endpoint, its log and its waiting deliveries", tags=["webhooks"],
                   responses={204: None})
    def delete(self, request: Request, endpoint_id) -> Response:
        services.endpoint_delete(endpoint=selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListApi(GenericAPIView):
    serializer_class = WebhookDeliverySerializer

    @extend_schema(summary="An endpoint's delivery log, newest first: each delivery with every try", tags=["webhooks"],
                   responses={200: WebhookDeliverySerializer(many=True)})
    def get(self, request: Request, endpoint_id) -> Response:
        endpoint = selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)
        page = self.paginate_queryset(selectors.delivery_list(endpoint=endpoint))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookRedeliverApi(APIView):
    @extend_schema(summary="Send a delivery's event again (same id and body) as a new delivery", tags=["webhooks"],
                   request=None, responses={202: WebhookDeliverySerializer,
                                            409: OpenApiResponse(description="endpoint_inactive")})
    def post(self, request: Request, endpoint_id, delivery_id) -> Response:
        endpoint = selectors.endpoint_get(user=request.user, endpoint_id=endpoint_id)
        delivery = services.delivery_redeliver(delivery=selectors.delivery_get(endpoint=endpoint,
                                                                                delivery_id=delivery_id))
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
