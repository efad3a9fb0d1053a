"""How many requests a per-user throttle lets through when two web processes serve them.

Standalone script, not a test: `.venv/bin/python bench/throttle_two_processes.py [--limit 100]
[--requests 400] [--concurrency 16]` from the repo root.

Starts ./bin/web with WEB_WORKERS=2 (two uvicorn worker processes behind one socket) and
API_RATE_LIMIT=<limit>/day (one fixed window for the whole run) on a fresh SQLite DATA_DIR,
then one user sends --requests GETs to /api/projects from --concurrency threads at once.
A throttle counted per process would let up to
twice the limit through, and DRF's own read-then-write throttle lets requests that arrive
together pass on the same count; counted atomically in the shared cache (the database table
here, Redis with REDIS_URL) exactly the limit gets through.
"""

from __future__ import annotations

import argparse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from webserver import web


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with web(users=1, WEB_WORKERS="2", API_RATE_LIMIT=f"{args.limit}/day") as (base, accounts):
        headers = {"Authorization": f"Token {accounts[0]['token']}"}

        def call(_: int) -> int:
            return requests.get(f"{base}/api/projects", headers=headers, timeout=60).status_code

        with ThreadPoolExecutor(args.concurrency) as pool:
            codes = Counter(pool.map(call, range(args.requests)))
    others = sum(codes.values()) - codes[200] - codes[429]
    print(f"two web processes, limit {args.limit}/day, {args.requests} requests from {args.concurrency} "
          f"threads: {codes[200]} answered 200, {codes[429]} answered 429, others {others}")


if __name__ == "__main__":
    main()
