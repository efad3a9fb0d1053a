"""Fuzzing the OpenAPI schema with schemathesis: no generated request may get a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from contentizer.wsgi import application


@schemathesis.serializer("application/offset+octet-stream")
def _tus_chunk(ctx, value) -> bytes:
    """A tus chunk is raw bytes (PATCH /api/uploads/{id})."""
    return value if isinstance(value, bytes) else str(value).encode()


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).exclude(
    path_regex=r"/events$"  # a Server-Sent Events stream only ends when its job does
)


@pytest.fixture
def token(django_db_setup, django_db_blocker) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    with django_db_blocker.unblock():
        user, _ = get_user_model().objects.get_or_create(username="fuzzer")
        return Token.objects.get_or_create(user=user)[0].key


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db(transaction=True)
def test_no_request_gets_a_server_error(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=[not_a_server_error])
