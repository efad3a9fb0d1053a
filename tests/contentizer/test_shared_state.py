"""State that counts per user is shared by every web process (a cache they all see)."""

from __future__ import annotations

import requests
from rest_framework.authtoken.models import Token

LIMIT = 10


def test_the_api_throttle_counts_across_two_web_processes(alice, web_servers):
    token = Token.objects.create(user=alice).key
    servers = [web_servers.start(API_RATE_LIMIT=f"{LIMIT}/day") for _ in range(2)]
    codes = [requests.get(f"{servers[n % 2]}/api/projects", headers={"Authorization": f"Token {token}"},
                          timeout=30).status_code for n in range(3 * LIMIT)]
    assert codes.count(200) == LIMIT and codes.count(429) == 2 * LIMIT, codes
    refused = requests.get(f"{servers[1]}/api/projects", headers={"Authorization": f"Token {token}"}, timeout=30)
    assert refused.json()["error"]["code"] == "throttled" and int(refused.headers["Retry-After"]) > 0


def test_the_export_cap_holds_across_two_web_processes(alice, alice_project, web_servers):
    token = Token.objects.create(user=alice).key
    servers = [web_servers.start(EXPORT_MAX_CONCURRENT="1") for _ in range(2)]
    codes = [requests.post(f"{base}/api/export", json={"projectId": alice_project.id},
                           headers={"Authorization": f"Token {token}"}, timeout=30).status_code for base in servers]
    assert sorted(codes) == [202, 429], codes
