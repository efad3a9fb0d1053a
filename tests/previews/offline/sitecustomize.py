"""Loaded by a worker the narration tests start with PYTHONPATH pointing here: any network use other
than loopback (the test database and broker) raises and is written to OFFLINE_GUARD_LOG."""

import os
import sys

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "", None}


def _refuse(event: str, detail: str) -> None:
    with open(os.environ["OFFLINE_GUARD_LOG"], "a") as log:
        log.write(f"{event} {detail}\n")
    raise RuntimeError(f"network access attempted: {event} {detail}")


def _guard(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address[0] not in _LOOPBACK:
            _refuse(event, repr(address))
    elif event == "socket.getaddrinfo" and args[0] not in _LOOPBACK:
        _refuse(event, repr(args[0]))
    elif event == "urllib.Request":
        _refuse(event, repr(args[0]))


if os.environ.get("OFFLINE_GUARD_LOG"):
    sys.addaudithook(_guard)
    with open(os.environ["OFFLINE_GUARD_LOG"] + ".armed", "a") as armed:  # the test checks the guard was on
        armed.write(f"{os.getpid()}\n")
