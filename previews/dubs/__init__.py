"""Dubbing a recording: the author's own voice in, every language out."""
