"""Recordings of the author's own voice: a step's narration recorded in one language (said instead of
synthetic speech, transcribed into the narration text), and a recording with speech turned into a chapter."""
