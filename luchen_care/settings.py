"""Settings for Lucheng Care, read from the environment.

With nothing set the platform runs on a laptop: SQLite in the project folder and
Celery tasks executed in-process. ``DATABASE_URL`` and ``REDIS_URL`` switch to the
real services; ``DJANGO_DEBUG=false`` turns on the production hardening that
``manage.py check --deploy`` expects.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false")
# Rotating the key (README, Operations): the previous keys, still accepted for sessions and links.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "luchen_care.core.apps.PlatformAdminConfig",  # django.contrib.admin, its index the staff workbench
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "luchen_care.core",
    "luchen_care.regions",
    "luchen_care.accounts",
    "luchen_care.audit",
    "luchen_care.workdays",
    "luchen_care.exchange",
    "luchen_care.documents",
    "luchen_care.files",
    "luchen_care.portal",
    "registry",
    "subsidies",
    "inspections",
    "targets",
]

MIDDLEWARE = [
    # First: every log line of a request, and its answer (X-Request-ID), carry the request's id.
    "luchen_care.core.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "luchen_care.core.middleware.PageLanguageMiddleware",  # pages: the switcher; the API: Accept-Language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with a second factor
    # Staff whom REQUIRE_2FA names reach nothing but the two-factor page until they verify.
    "luchen_care.accounts.twofactor.TwoFactorMiddleware",
    # A form posted after the session expired is kept, to submit again after signing in.
    "luchen_care.core.resubmit.KeepExpiredPostMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: it turns a login refused for a lockout into the lockout page (``accounts.lockout``).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "luchen_care.urls"
WSGI_APPLICATION = "luchen_care.wsgi.application"

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
                "django.template.context_processors.i18n",
                "luchen_care.regions.context_processors.branding",
                "luchen_care.portal.nav.portal_nav",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0 if DEBUG else 60)
# A kept connection is checked before a request reuses it: after PostgreSQL restarts, or a
# connection is cut, the next request connects afresh instead of failing (the rehearsal's fault c).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serialises its writes, so concurrent requests wait instead of failing
    # with "database is locked": a transaction takes the write lock when it begins (a deferred one
    # that has read cannot wait for it), waits up to the busy timeout for it, and WAL lets reads
    # go on beside the one writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "admin:login"
# --- Content-Security-Policy (django-csp) --------------------------------------------------
# Everything from our own origin: scripts only from our static files (the API docs' script too,
# SpectacularSwaggerSplitView), styles from them and the pages' own <style> blocks, images and
# fonts also as data: URIs (Swagger UI's icons); no frames, no plugins, forms post to us only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Login limits (django-axes; ``luchen_care.accounts.lockout``) ------------------------------
# Failures are counted per (username, client address), and per address with a much higher limit:
# bureau staff share one 政务外网 egress address, so one colleague's typos lock out nobody else,
# while guessing many usernames from one address is still stopped.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)  # per username and address
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=100)  # per address
AXES_HANDLER = "luchen_care.accounts.lockout.LoginLimitHandler"
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = False  # the handler forgets the user's own failures from its address only
AXES_LOCKOUT_CALLABLE = "luchen_care.accounts.lockout.lockout_response"
AXES_ENABLE_ADMIN = False  # its pages are ours, scoped (``luchen_care.accounts.admin``)
AXES_VERBOSE = False
# Form fields never kept readable: not by axes in a failed attempt's record (AccessAttempt/AccessFailureLog
# .post_data: masked), nor by the keeper of a form posted after the session expired (``core.resubmit``).
SENSITIVE_POST_FIELDS = [
    "username",
    "password",
    "password1",
    "password2",
    "old_password",
    "new_password1",
    "new_password2",
    "token",
    "code",
    "otp_token",
]
AXES_SENSITIVE_PARAMETERS = [*SENSITIVE_POST_FIELDS, "ip_address"]
# How many reverse proxies stand in front of the platform (nginx: 1). Only their X-Forwarded-For
# entries are believed: with none, the header is ignored, so a client cannot pick its own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "luchen_care.accounts.lockout.client_address"

# --- Institutions' self-service sign-up to the portal (``registry.services.signups``) ----------------
# The one-time code sent to the phone on record: valid this many minutes. Within the window
# (hours), an institution takes this many wrong codes over all its sign-ups, and this many codes
# sent; an address this many codes sent. Beyond them no code goes out: the bureau activates.
PORTAL_SIGNUP_CODE_MINUTES = env.int("PORTAL_SIGNUP_CODE_MINUTES", default=10)
PORTAL_SIGNUP_CODE_ATTEMPTS = env.int("PORTAL_SIGNUP_CODE_ATTEMPTS", default=5)
PORTAL_SIGNUP_CODE_WINDOW_HOURS = env.int("PORTAL_SIGNUP_CODE_WINDOW_HOURS", default=24)
PORTAL_SIGNUP_CODES_PER_INSTITUTION = env.int("PORTAL_SIGNUP_CODES_PER_INSTITUTION", default=3)
PORTAL_SIGNUP_CODES_PER_ADDRESS = env.int("PORTAL_SIGNUP_CODES_PER_ADDRESS", default=5)
# A sign-up without a code (no SMS, a landline, the limits above) the bureau has not decided on
# expires after this many days, when the institution's next sign-up arrives.
PORTAL_SIGNUP_PENDING_DAYS = env.int("PORTAL_SIGNUP_PENDING_DAYS", default=14)
# Sign-ups that match no institution, per client address and hour: beyond it the address is refused.
PORTAL_SIGNUP_ADDRESS_LIMIT = env.int("PORTAL_SIGNUP_ADDRESS_LIMIT", default=10)

# --- Two-factor sign-in (django-otp; ``luchen_care.accounts.twofactor``) ---------------------
# Required of the bureaus, registration authorities, the city role, county administrators and
# superusers: on by default in production (DJANGO_DEBUG=false), off on the embedded default, where
# the demo accounts sign in with a password alone. Whoever has enrolled gives a code either way.
REQUIRE_2FA = env.bool("REQUIRE_2FA", default=not DEBUG)


def _otp_issuer(device):
    """The name an authenticator app shows beside the code: the platform's."""
    from luchen_care.regions.branding import deployment_branding

    return str(deployment_branding().platform_name)


OTP_TOTP_ISSUER = _otp_issuer
OTP_TOTP_THROTTLE_FACTOR = 1  # after each wrong code, 1, 2, 4 … seconds before the next is tried
RECOVERY_CODE_COUNT = 10

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "luchen_care.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"classes": 3}},
]
# Idle sessions end after SESSION_IDLE_MINUTES (30) without a request: every request renews the
# cookie, so an officer at work is never signed out mid-task, and an unattended screen is.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True

# Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# YYYY-MM-DD and YYYY-MM-DD HH:mm:ss in every page and history, in both languages.
FORMAT_MODULE_PATH = ["luchen_care.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes (the image: /app/staticfiles); a bench collects into a directory of its own.
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# No URL serves the media folder (nothing routes MEDIA_URL, WhiteNoise serves STATIC_ROOT only):
# uploaded files leave through the scoped, logged download view alone (``luchen_care.files``).
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")

# --- Uploaded files (luchen_care.files) -----------------------------------------------------
# UPLOADS_STORAGE=local (the default): under MEDIA_ROOT/uploads/, which scripts/backup archives with
# the rest of the media folder. UPLOADS_STORAGE=s3: an S3-compatible bucket (django-storages), which
# must be private; files are read back through the platform, never by a link to the bucket.
UPLOADS_STORAGE = env.str("UPLOADS_STORAGE", default="local").strip().lower()
if UPLOADS_STORAGE == "local":
    STORAGES["uploads"] = {"BACKEND": "luchen_care.files.storage.UploadsFileSystemStorage"}
elif UPLOADS_STORAGE == "s3":
    if not env.str("UPLOADS_S3_BUCKET", default=""):
        raise environ.ImproperlyConfigured("UPLOADS_STORAGE=s3 needs UPLOADS_S3_BUCKET (and its endpoint and keys)")
    STORAGES["uploads"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("UPLOADS_S3_BUCKET"),
            "endpoint_url": env.str("UPLOADS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("UPLOADS_S3_REGION", default="") or None,
            "access_key": env.str("UPLOADS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("UPLOADS_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("UPLOADS_S3_PREFIX", default="uploads"),
            # MinIO and most S3-compatible services want path-style addresses.
            "addressing_style": env.str("UPLOADS_S3_ADDRESSING_STYLE", default="path"),
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,  # no unsigned link, ever
            "file_overwrite": False,
        },
    }
else:
    raise environ.ImproperlyConfigured(f"UPLOADS_STORAGE must be local or s3, not {UPLOADS_STORAGE!r}")
# The largest upload accepted (bytes); PDF, JPEG and PNG only, judged by content.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# The largest image accepted (width × height, from its header, before decoding): decoding takes
# about 4 bytes a pixel, so a small file may otherwise cost hundreds of MB of memory.
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    # The same rule as the login limits' client address (``accounts.lockout.client_address``).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Named, hashed, expiring tokens (``luchen_care.accounts.authentication``): ``Authorization: Token <key>``.
        "luchen_care.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Machine endpoints take JSON only (nested at most 32 deep); the admin and the pages keep their forms.
    "DEFAULT_PARSER_CLASSES": ["luchen_care.core.api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "luchen_care.core.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "luchen_care.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "luchen_care.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "luchen_care.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="30/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        # The token endpoint, per client address (``accounts.api.LoginRateThrottle``).
        "login": env.str("API_THROTTLE_LOGIN", default="20/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    # The title is the deployment's platform name (``luchen_care.regions.branding.schema_title_hook``).
    "TITLE": "托育综合监管平台 API",
    "DESCRIPTION": (
        "The childcare supervision platform's REST API. Authenticate with `Authorization: Token <token>`; "
        "obtain a token from `POST /api/v1/auth/token/`. Errors share one format: "
        '`{"error": {"code", "message", "fields": {field: [messages]}}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served from our own static files: no CDN on a government network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Institutions and registrations both have a "kind": name each choice set once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.street_codes",
        "luchen_care.regions.branding.schema_title_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AuthorityEnum": "luchen_care.accounts.models.Authority",
        "InstitutionKindEnum": "registry.models.InstitutionKind",
        "RegistrationKindEnum": "registry.models.RegistrationKind",
        "FilingKindEnum": "registry.models.FilingKind",
        "SectionKeyEnum": "registry.models.SectionKey",
    },
}

# --- The deployment's counties and name ------------------------------------
# Counties loaded with their streets when a new database is first migrated (the same as
# ``manage.py region add <code>``), e.g. LUCHEN_CARE_COUNTIES=330303,330304; a county added later,
# or with none set, is added by that command.
REGION_COUNTIES = [code.strip() for code in env.list("LUCHEN_CARE_COUNTIES", default=[]) if code.strip()]
# The platform's name whatever its counties; empty: "<county or city>托育综合监管平台".
PLATFORM_NAME = env.str("LUCHEN_CARE_PLATFORM_NAME", default="")

# --- API tokens (``luchen_care.accounts``: ``ApiToken``) ------------------------------------------
# A token expires this many days after it is issued; a rotated token stays valid beside its
# successor for the overlap (never past its own expiry); the client's county is notified through
# the outbox this many days before a live token expires.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
API_TOKEN_ROTATION_OVERLAP_HOURS = env.int("API_TOKEN_ROTATION_OVERLAP_HOURS", default=72)
API_TOKEN_EXPIRY_NOTICE_DAYS = env.int("API_TOKEN_EXPIRY_NOTICE_DAYS", default=14)

# --- Institution accounts (``luchen_care.accounts``: ``Invitation``, ``PasswordReset``) ------------
# An invitation link works for this many days, a password-reset link for this many hours; each once.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
PASSWORD_RESET_VALID_HOURS = env.int("PASSWORD_RESET_VALID_HOURS", default=24)

# --- Cache ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def _neighbour_redis_db(url):
    """The same Redis server, the next database: the cache must never share the queue's
    database, since clearing a cache empties its whole database (FLUSHDB)."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + 1 if db < 15 else db - 1}"))


REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default=_neighbour_redis_db(REDIS_URL) if REDIS_URL else "")
if REDIS_CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------
# Without Redis, tasks run in-process so a laptop needs no broker.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Unacknowledged messages (a worker died mid-task) come back after this many seconds. Keep it
# above PUSH_RETRY_MAX_SECONDS: a retry waiting for its countdown is unacknowledged too.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
# One queue name per deployment (or per test run, so concurrent runs on one Redis never share work).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE = {
    # Provisional push deadlines are recounted once their year's holiday arrangement is known.
    "registry-recompute-provisional-push-deadlines": {
        "task": "registry.recompute_provisional_push_deadlines",
        "schedule": crontab(hour=1, minute=30),
    },
    # The outbox's safety net: re-enqueue pending pushes whose task was lost.
    "exchange-scan-pending-pushes": {
        "task": "luchen_care.exchange.tasks.scan_pending_pushes",
        "schedule": env.float("PUSH_SCAN_INTERVAL_SECONDS", default=120.0),
    },
    # The personal-data access log keeps PERSONAL_DATA_ACCESS_RETENTION_DAYS; older entries go at night.
    "audit-prune-personal-data-access": {
        "task": "audit.prune_personal_data_access",
        "schedule": crontab(hour=2, minute=40),
    },
    # One digest a day of registrations past their push deadline (Asia/Shanghai, CELERY_TIMEZONE).
    "registry-overdue-digest": {
        "task": "registry.overdue_digest",
        "schedule": crontab(hour=9, minute=0),
    },
    # API tokens about to expire: one notice per token to its client's county, once.
    "accounts-api-token-expiry-notices": {
        "task": "accounts.api_token_expiry_notices",
        "schedule": crontab(hour=8, minute=30),
    },
}

# --- The access log of personal data (luchen_care.audit) ------------------------------------
# Entries are kept this many days, then pruned by beat; the Cybersecurity Law asks six months at least.
PERSONAL_DATA_ACCESS_RETENTION_DAYS = env.int("PERSONAL_DATA_ACCESS_RETENTION_DAYS", default=180)

# --- Excel imports (luchen_care.core.imports) -----------------------------------
# The largest upload accepted; 5,000 filled rows of the registration template are about 0.2 MB.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)

# --- Documents (luchen_care.documents) ---------------------------------------
# The platform's public address, as a holder of the paper or of a link reaches it: printed on every PDF
# (its verification page /verify/<code>/ and QR code) and in invitation and password-reset links.
# ``manage.py check --deploy`` refuses a local one in production (``documents.checks``).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="") or "http://localhost:8000"
# Verification look-ups per client address: at most this many in this many seconds.
DOCUMENTS_VERIFY_RATE = (env.int("DOCUMENTS_VERIFY_LIMIT", default=30), env.int("DOCUMENTS_VERIFY_WINDOW", default=600))

# --- Push of registrations to the health bureau (plan task 20) ---------------
HEALTH_BUREAU_PUSH_URL = env.str("HEALTH_BUREAU_PUSH_URL", default="")
HEALTH_BUREAU_PUSH_SECRET = env.str("HEALTH_BUREAU_PUSH_SECRET", default="")
HEALTH_BUREAU_PUSH_TIMEOUT = env.float("HEALTH_BUREAU_PUSH_TIMEOUT", default=10.0)
DINGTALK_WEBHOOK_URL = env.str("DINGTALK_WEBHOOK_URL", default="")
DINGTALK_SECRET = env.str("DINGTALK_SECRET", default="")
# Channels per county (a city deployment): the same variables with the county's code after two
# underscores, e.g. HEALTH_BUREAU_PUSH_URL__330303 and HEALTH_BUREAU_PUSH_SECRET__330303. A county
# with its own never falls back to the default secret; one without its own uses the ones above
# while no county has its own, and afterwards only if listed in LUCHEN_CARE_DEFAULT_CHANNEL_COUNTIES
# (``luchen_care.exchange.channels.endpoint``).
CHANNEL_SETTINGS = (
    "HEALTH_BUREAU_PUSH_URL",
    "HEALTH_BUREAU_PUSH_SECRET",
    "DINGTALK_WEBHOOK_URL",
    "DINGTALK_SECRET",
    "SMS_GATEWAY_URL",
    "SMS_GATEWAY_KEY",
    "SMS_GATEWAY_SECRET",
    "SMS_SIGN_NAME",
)
COUNTY_CHANNELS = {}
for _key, _value in sorted(os.environ.items()):
    _name, _sep, _code = _key.rpartition("__")
    if _sep and _name in CHANNEL_SETTINGS and len(_code) == 6 and _code.isdigit():
        COUNTY_CHANNELS.setdefault(_code, {})[_name] = _value
DEFAULT_CHANNEL_COUNTIES = [code.strip() for code in env.list("LUCHEN_CARE_DEFAULT_CHANNEL_COUNTIES", default=[])]
# Notices to people (luchen_care.exchange.services.person_notice_enqueue): both off by default.
# E-mail over SMTP, on when EMAIL_HOST is set (one relay for the whole deployment).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)  # STARTTLS, usually on port 587
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)  # implicit TLS, usually on port 465
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="") or "webmaster@localhost"
EMAIL_SUBJECT_PREFIX = env.str("EMAIL_SUBJECT_PREFIX", default="")
# SMS through an HTTP gateway, on when SMS_GATEWAY_URL is set; per county like the channels above
# (SMS_GATEWAY_URL__330303…). SMS_SIGN_NAME is the 短信签名 registered with the provider.
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_KEY = env.str("SMS_GATEWAY_KEY", default="")
SMS_GATEWAY_SECRET = env.str("SMS_GATEWAY_SECRET", default="")
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="")
SMS_TEMPLATE_CODE = env.str("SMS_TEMPLATE_CODE", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
# Retry policy (docs/push.md): base × 2^(n−1) seconds after the n-th failure, capped; then failed.
PUSH_RETRY_BASE_SECONDS = env.float("PUSH_RETRY_BASE_SECONDS", default=30.0)
PUSH_RETRY_MAX_SECONDS = env.float("PUSH_RETRY_MAX_SECONDS", default=1800.0)
PUSH_MAX_ATTEMPTS = env.int("PUSH_MAX_ATTEMPTS", default=15)
# The beat scan leaves a pending row this long to the message already on its way.
PUSH_SCAN_GRACE_SECONDS = env.int("PUSH_SCAN_GRACE_SECONDS", default=60)
PUSH_SCAN_BATCH = env.int("PUSH_SCAN_BATCH", default=500)
# An attempt's lease on its outbox row (locked_until): no other worker sends it meanwhile; a
# dead worker's row is claimed again once it expires. Never shorter than the request timeout.
PUSH_LEASE_SECONDS = env.float("PUSH_LEASE_SECONDS", default=60.0)

# /healthz: the longest a dependency's check may take (luchen_care.core.health).
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)

# --- Production hardening (on whenever DEBUG is off) ------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container health check speaks plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# Logs go to standard error (the container's log). LOG_FORMAT=json (production's default): one JSON
# object per line: time, level, logger, message and the request id (luchen_care.core.requestid);
# gunicorn's access log is JSON lines too (gunicorn.conf.py). LOG_FORMAT=text on a laptop.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "luchen_care.core.requestid.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",  # 2026-12-03T21:56:10+0800 (TIME_ZONE)
            "json_ensure_ascii": False,
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
# The worker and beat log through the handler above (JSON lines in production), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
