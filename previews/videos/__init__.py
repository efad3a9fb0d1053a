"""Video generation: a chapter becomes a narrated, subtitled MP4 and HLS in every language.

- `services`: asking for a video (quota, languages), reading the current one, cleanup, expiry;
- `stages`: the staged job (plan → narrate → captions → render → package) on the job
  framework's StagedJob; rendering goes through `previews.render`, the one render path;
- `packaging`: checking the MP4, cutting HLS, playlists and the poster.
"""
