"""Webhooks on job events: endpoints, signed events, deliveries run as jobs (docs/webhooks.md)."""
