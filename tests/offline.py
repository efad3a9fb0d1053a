"""The start of a Python program run in a fresh process to prove code runs offline: any socket or
URL opened after it raises (an audit hook), then Django is set up."""

NETWORK_GUARD = r"""
import sys
def guard(event, args):
    if event.startswith("socket.") or event in ("urllib.Request", "http.client.connect"):
        raise RuntimeError(f"network access attempted: {event}")
sys.addaudithook(guard)
import django
django.setup()
"""
