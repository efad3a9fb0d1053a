"""Dubbing: a recording with the author's own voice in, the same picture spoken in other languages out.

- `services`: asking for a dub (the recording has a soundtrack, every language is heard, translated
  and spoken by something on this server), editing a segment, resuming, cleanup;
- `selectors`: reading dubs (owner-scoped) and the dub's part of the job resource;
- `stages`: the staged job asr → translate → speak → mix → package on the job framework's StagedJob;
- `media` (the picture and sound side): fitting speech into its slots, rendering, packaging.
The result is a `previews.models.Video`, so watching, sharing and webhooks work as for any video.
"""
