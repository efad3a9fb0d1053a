"""Locust users for bench/status_latency.py: each polls its own job's status once a second."""

from __future__ import annotations

import itertools
import json
import os

from locust import HttpUser, constant_throughput, task

ACCOUNTS = itertools.cycle(json.loads(os.environ["BENCH_ACCOUNTS"]))


class StatusPoller(HttpUser):
    wait_time = constant_throughput(1)  # one request a second per user: users == requests/s

    def on_start(self) -> None:
        account = next(ACCOUNTS)
        self.url = f"/api/preview/{account['job']}/status"
        self.client.headers["Authorization"] = f"Token {account['token']}"

    @task
    def status(self) -> None:
        self.client.get(self.url, name="/api/preview/[id]/status")
