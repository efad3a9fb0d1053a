"""How a job handler says what went wrong, so the runner knows whether to retry."""


class PermanentJobError(Exception):
    """Retrying cannot help (a bad timeline, a missing asset): the job fails at once."""


class TransientJobError(Exception):
    """Worth another attempt after a backoff (storage hiccup, a crashed encoder)."""


class JobCancelled(Exception):
    """The job was cancelled while it ran."""
